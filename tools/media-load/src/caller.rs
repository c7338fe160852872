//! One call's caller, whichever kind the scenario wants (a browser or a plain phone): its
//! setup outcome goes to the ramp, a failure after setup is recorded on the call.

use std::rc::Rc;
use std::time::Instant;

use anyhow::Result;
use tokio::sync::{oneshot, watch};

use crate::call::Call;
use crate::scenario::Scenario;
use crate::tone::Tones;
use crate::ua::Target;
use crate::{browser, phone_caller};

pub async fn run(
    call: Rc<Call>,
    scenario: Scenario,
    target: Rc<Target>,
    tones: Rc<Tones>,
    epoch: Instant,
    setup: oneshot::Sender<Result<()>>,
    stop: watch::Receiver<bool>,
) {
    let mut setup = Some(setup);
    let result = match scenario.caller_phone() {
        None => browser::call(&call, &target, &tones, epoch, &mut setup, stop).await,
        Some(media) => {
            phone_caller::call(&call, media, &target, &tones, epoch, &mut setup, stop).await
        }
    };
    if let Err(e) = result {
        let why = format!("{e:#}");
        match setup.take() {
            Some(s) => {
                let _ = s.send(Err(e));
            }
            None => call.fail(why),
        }
    }
    call.ended.set(true);
}
