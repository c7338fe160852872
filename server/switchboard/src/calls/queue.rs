//! A call's event queue: what the endpoint and the media task hand the call's task.
//!
//! Events travel boxed. tokio's unbounded channel allocates its slots 32 at a time, the
//! first block when the channel is made, and an event holds a whole SIP message inline
//! (about 350 bytes): 11 KiB per call, ringing or talking, for a queue that rarely holds more
//! than one event. Boxed, the block is 256 bytes and each event costs one allocation, a few
//! per call.

use tokio::sync::mpsc::error::SendError;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::events::CallEvent;

/// The sending half, held by the router (one clone per transaction and dialog of the call).
#[derive(Debug, Clone)]
pub struct CallSender(UnboundedSender<Box<CallEvent>>);

/// The call task's half.
#[derive(Debug)]
pub struct CallReceiver(UnboundedReceiver<Box<CallEvent>>);

pub fn call_queue() -> (CallSender, CallReceiver) {
    let (tx, rx) = unbounded_channel();
    (CallSender(tx), CallReceiver(rx))
}

impl CallSender {
    /// Queues `event`; gives it back (still boxed) when the call has ended.
    pub fn send(&self, event: CallEvent) -> Result<(), Box<CallEvent>> {
        self.0
            .send(Box::new(event))
            .map_err(|SendError(event)| event)
    }
}

impl CallReceiver {
    /// The next event; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<CallEvent> {
        self.0.recv().await.map(|event| *event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_arrive_in_order_and_come_back_once_the_call_is_gone() {
        let (tx, mut rx) = call_queue();
        assert!(tx.send(CallEvent::Cancel).is_ok());
        assert!(tx.clone().send(CallEvent::Shutdown).is_ok());
        assert!(matches!(rx.recv().await, Some(CallEvent::Cancel)));
        assert!(matches!(rx.recv().await, Some(CallEvent::Shutdown)));
        drop(rx);
        assert!(matches!(
            tx.send(CallEvent::Cancel).map_err(|event| *event),
            Err(CallEvent::Cancel)
        ));
    }
}
