//! The PCM queue between the decoder and the encoder: packets of 10–60 ms go in, 20 ms
//! frames come out. Consumed samples are dropped lazily so a frame costs no copy.

/// Compact once this many consumed samples sit at the front.
const COMPACT_AT: usize = 4_096;

#[derive(Debug, Default)]
pub(super) struct PcmFifo {
    buf: Vec<i16>,
    head: usize,
}

impl PcmFifo {
    /// The first `n` queued samples, when there are that many.
    pub(super) fn front(&self, n: usize) -> Option<&[i16]> {
        self.buf.get(self.head..self.head.checked_add(n)?)
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.head = (self.head + n).min(self.buf.len());
        if self.head == self.buf.len() {
            self.buf.clear();
            self.head = 0;
        } else if self.head >= COMPACT_AT {
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }

    /// Where new samples are appended.
    pub(super) fn tail(&mut self) -> &mut Vec<i16> {
        &mut self.buf
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.buf.len() - self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reframes_30_ms_packets_into_20_ms_frames() {
        let mut f = PcmFifo::default();
        let mut frames = Vec::new();
        for p in 0..4i16 {
            f.tail().extend((0..240).map(|i| p * 240 + i));
            while let Some(frame) = f.front(160) {
                frames.push(frame.to_vec());
                f.consume(160);
            }
        }
        assert_eq!(frames.len(), 6);
        assert_eq!(f.len(), 0);
        // The samples come out in order, none lost or repeated.
        let flat: Vec<i16> = frames.concat();
        assert!(flat.iter().enumerate().all(|(i, &s)| s == i as i16));
    }

    #[test]
    fn compacts_a_long_running_queue() {
        let mut f = PcmFifo::default();
        for i in 0..10_000i32 {
            f.tail().extend_from_slice(&[i as i16; 3]);
            let _ = f.front(2);
            f.consume(2);
        }
        assert_eq!(f.len(), 10_000);
        assert!(f.buf.len() < 10_000 + COMPACT_AT + 3);
        // 20 000 of the 30 000 samples are consumed; sample 20 000 came from push 6 666.
        assert_eq!(f.front(1), Some(&[6_666i16][..]));
    }
}
