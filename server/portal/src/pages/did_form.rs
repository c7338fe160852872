//! The DID form shared by the add form (`/admin/dids`) and the edit page
//! (`/admin/dids/{number}`, where the number is the page's, not a field): every field as
//! typed, so a refused submit comes back as it was.

use pbx::trunk::Did;

use super::Fields;
use super::fields::items;

#[derive(Debug, Default)]
pub(crate) struct DidForm {
    pub number: String,
    pub trunk: String,
    /// The extensions rung together.
    pub to: String,
    pub failover: String,
}

impl DidForm {
    pub(crate) fn from_fields(f: &Fields) -> DidForm {
        DidForm {
            number: f.text("number"),
            trunk: f.text("trunk"),
            to: f.text("to"),
            failover: f.text("failover"),
        }
    }

    /// The form for a stored DID.
    pub(crate) fn from_did(d: &Did) -> DidForm {
        DidForm {
            number: d.number.clone(),
            trunk: d.trunk.clone(),
            to: d.to.join(", "),
            failover: d.failover.clone().unwrap_or_default(),
        }
    }

    /// The DID the form describes (the backend checks the rest, as for the CLI).
    pub(crate) fn to_did(&self) -> Result<Did, String> {
        let number = self.number.trim();
        if number.is_empty() {
            return Err(
                "Enter the number as the provider sends it, for example +15551230000.".into(),
            );
        }
        if self.trunk.is_empty() {
            return Err("Choose the trunk the number comes in on.".into());
        }
        let to: Vec<String> = items(&self.to).map(str::to_owned).collect();
        if to.is_empty() {
            return Err("Enter the extension(s) to ring, for example 1001 or 1001, 1002.".into());
        }
        let failover = Some(self.failover.trim().to_owned()).filter(|f| !f.is_empty());
        Ok(Did {
            number: number.to_owned(),
            trunk: self.trunk.clone(),
            to,
            failover,
        })
    }
}
