//! Changing an extension's class of service and call features (and, for the portal, its name
//! with them): only the fields an update names change, in one statement (no
//! read-modify-write that a concurrent CLI could race).

use pbx::{CallClass, Features};

use crate::backend::{Backend, with_pool};
use crate::error::StoreError;

/// Longest ring before a no-answer forward that we accept: ten minutes. Longer is a typo,
/// and a call that rings for an hour holds a relay and a trunk channel for nothing.
pub const MAX_RING_TIMEOUT: u32 = 600;

/// A change to some of an extension's features. `None` leaves a field as it is; for the
/// clearable ones `Some(None)` clears (no forward, no call limit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeaturesUpdate {
    pub class: Option<CallClass>,
    pub forward_always: Option<Option<String>>,
    pub forward_busy: Option<Option<String>>,
    pub forward_noanswer: Option<Option<String>>,
    /// Seconds, 1 to `MAX_RING_TIMEOUT`.
    pub ring_timeout: Option<u32>,
    pub dnd: Option<bool>,
    /// At least 1 when set (to refuse every call, use `dnd`).
    pub max_calls: Option<Option<u32>>,
}

impl FeaturesUpdate {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == FeaturesUpdate::default()
    }

    /// What `features` becomes (the same rules the database update follows).
    pub fn apply_to(&self, features: &mut Features) {
        if let Some(class) = self.class {
            features.class = class;
        }
        for (update, field) in [
            (&self.forward_always, &mut features.forward_always),
            (&self.forward_busy, &mut features.forward_busy),
            (&self.forward_noanswer, &mut features.forward_noanswer),
        ] {
            if let Some(value) = update {
                field.clone_from(value);
            }
        }
        if let Some(ring) = self.ring_timeout {
            features.ring_timeout = ring;
        }
        if let Some(dnd) = self.dnd {
            features.dnd = dnd;
        }
        if let Some(max) = self.max_calls {
            features.max_calls = max;
        }
    }

    /// Refuses values the call core could not use.
    pub fn validate(&self) -> Result<(), StoreError> {
        let invalid = |m: String| Err(StoreError::InvalidFeature(m));
        for (name, update) in [
            ("forward_always", &self.forward_always),
            ("forward_busy", &self.forward_busy),
            ("forward_noanswer", &self.forward_noanswer),
        ] {
            if let Some(Some(target)) = update
                && !valid_target(target)
            {
                return invalid(format!(
                    "{name}: {target:?} is not a number to dial (1-32 of 0-9 A-Z a-z + * # . _ -)"
                ));
            }
        }
        if let Some(ring) = self.ring_timeout
            && !(1..=MAX_RING_TIMEOUT).contains(&ring)
        {
            return invalid(format!(
                "ring_timeout: {ring} s is outside 1 to {MAX_RING_TIMEOUT} s"
            ));
        }
        if self.max_calls == Some(Some(0)) {
            return invalid("max_calls: must be at least 1 (use dnd to refuse every call)".into());
        }
        Ok(())
    }
}

/// A forward target is a number as dialed: an extension number (letters allowed, as
/// extension numbers allow them) or an outside number (`+`, `*`, `#`).
pub(crate) fn valid_target(target: &str) -> bool {
    (1..=32).contains(&target.len())
        && target.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'*' | b'#' | b'.' | b'_' | b'-')
        })
}

/// Each clearable column: `CASE WHEN <given> THEN <value> ELSE <column> END`, so NULL can be
/// written on purpose; the others keep their value when the parameter is NULL. The name goes
/// in the same statement, so a name and features change together or not at all.
const UPDATE: &str = "UPDATE extensions SET \
     name = COALESCE($13, name), \
     class = COALESCE($2, class), \
     forward_always = CASE WHEN $3 THEN $4 ELSE forward_always END, \
     forward_busy = CASE WHEN $5 THEN $6 ELSE forward_busy END, \
     forward_noanswer = CASE WHEN $7 THEN $8 ELSE forward_noanswer END, \
     ring_timeout = COALESCE($9, ring_timeout), \
     dnd = COALESCE($10, dnd), \
     max_calls = CASE WHEN $11 THEN $12 ELSE max_calls END \
     WHERE number = $1";

impl Backend {
    /// Applies `update` to one extension. `NoSuchExtension` when there is none.
    pub async fn set_extension_features(
        &self,
        number: &str,
        update: &FeaturesUpdate,
    ) -> Result<(), StoreError> {
        if self.update_extension(number, None, update).await? {
            Ok(())
        } else {
            Err(StoreError::NoSuchExtension(number.to_owned()))
        }
    }

    /// Renames the extension (when `name` is given) and applies `update`, in one statement.
    /// `InvalidFeature` (nothing changed) for a value the call core could not use; false when
    /// there is no such extension.
    pub async fn update_extension(
        &self,
        number: &str,
        name: Option<&str>,
        update: &FeaturesUpdate,
    ) -> Result<bool, StoreError> {
        update.validate()?;
        let text = |u: &Option<Option<String>>| u.as_ref().and_then(|v| v.clone());
        let changed = with_pool!(self, pool => {
            sqlx::query(UPDATE)
                .bind(number)
                .bind(update.class.map(CallClass::as_str))
                .bind(update.forward_always.is_some())
                .bind(text(&update.forward_always))
                .bind(update.forward_busy.is_some())
                .bind(text(&update.forward_busy))
                .bind(update.forward_noanswer.is_some())
                .bind(text(&update.forward_noanswer))
                .bind(update.ring_timeout.map(i64::from))
                .bind(update.dnd)
                .bind(update.max_calls.is_some())
                .bind(update.max_calls.flatten().map(i64::from))
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_fields_change() {
        let mut f = Features {
            forward_busy: Some("1002".into()),
            max_calls: Some(2),
            ..Features::default()
        };
        let update = FeaturesUpdate {
            class: Some(CallClass::International),
            forward_busy: Some(None),
            forward_noanswer: Some(Some("1003".into())),
            dnd: Some(true),
            ..FeaturesUpdate::default()
        };
        update.apply_to(&mut f);
        assert_eq!(
            f,
            Features {
                class: CallClass::International,
                forward_noanswer: Some("1003".into()),
                dnd: true,
                max_calls: Some(2),
                ..Features::default()
            }
        );
        assert!(FeaturesUpdate::default().is_empty());
        assert!(!update.is_empty());
    }

    #[test]
    fn invalid_values_are_refused() {
        let ok = FeaturesUpdate {
            forward_always: Some(Some("+15551234567".into())),
            ring_timeout: Some(MAX_RING_TIMEOUT),
            max_calls: Some(Some(1)),
            ..FeaturesUpdate::default()
        };
        assert!(ok.validate().is_ok());
        for bad in [
            FeaturesUpdate {
                forward_busy: Some(Some("10 02".into())),
                ..FeaturesUpdate::default()
            },
            FeaturesUpdate {
                forward_always: Some(Some(String::new())),
                ..FeaturesUpdate::default()
            },
            FeaturesUpdate {
                ring_timeout: Some(0),
                ..FeaturesUpdate::default()
            },
            FeaturesUpdate {
                max_calls: Some(Some(0)),
                ..FeaturesUpdate::default()
            },
        ] {
            assert!(
                matches!(bad.validate(), Err(StoreError::InvalidFeature(_))),
                "{bad:?}"
            );
        }
    }
}
