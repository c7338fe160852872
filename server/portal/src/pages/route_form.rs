//! The outbound route form shared by the add form (`/admin/routes`) and the edit page
//! (`/admin/routes/{id}`): every field as typed, so a refused submit comes back as it was.

use pbx::trunk::OutboundRoute;

use super::Fields;
use super::fields::items;
use crate::backend::NewRoute;

#[derive(Debug, Default)]
pub(crate) struct RouteForm {
    pub pattern: String,
    /// Trunk names in the order they are tried.
    pub trunks: String,
    pub strip: String,
    pub prepend: String,
    /// Empty: last (adding) or where it is (editing).
    pub position: String,
}

impl RouteForm {
    pub(crate) fn from_fields(f: &Fields) -> RouteForm {
        RouteForm {
            pattern: f.text("pattern"),
            trunks: f.text("trunks"),
            strip: f.text("strip"),
            prepend: f.text("prepend"),
            position: f.text("position"),
        }
    }

    /// The form for a stored route.
    pub(crate) fn from_route(r: &OutboundRoute) -> RouteForm {
        RouteForm {
            pattern: r.pattern.clone(),
            trunks: r.trunks.join(", "),
            strip: r.strip.to_string(),
            prepend: r.prepend.clone(),
            // The CLI may place a route below 0, which the form does not take: left empty,
            // the position stays as it is.
            position: Some(r.position)
                .filter(|p| *p >= 0)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        }
    }

    /// The route the form describes (the backend checks the rest, as for the CLI).
    pub(crate) fn to_route(&self) -> Result<NewRoute, String> {
        let pattern = self.pattern.trim();
        if pattern.is_empty() {
            return Err(
                "Enter a pattern: a number, or a pattern starting with _ such as _1NXXNXXXXXX."
                    .into(),
            );
        }
        let trunks: Vec<String> = items(&self.trunks).map(str::to_owned).collect();
        if trunks.is_empty() {
            return Err("Enter the trunks to try, in order, for example acme, backup.".into());
        }
        let strip = match self.strip.trim() {
            "" => 0,
            s => s.parse::<u32>().map_err(|_| {
                "Strip is the number of leading digits to remove (0 or more).".to_owned()
            })?,
        };
        let position = match self.position.trim() {
            "" => None,
            p => Some(
                p.parse::<i64>()
                    .ok()
                    .filter(|p| *p >= 0)
                    .ok_or_else(|| "Position is a whole number, 0 or more.".to_owned())?,
            ),
        };
        Ok(NewRoute {
            pattern: pattern.to_owned(),
            trunks,
            strip,
            prepend: self.prepend.trim().to_owned(),
            position,
        })
    }
}
