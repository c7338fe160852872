//! The pool of RTP ports (`[media] rtp_ports`). Each allocation is an even RTP port whose
//! RTCP port is RTP + 1 (RFC 3550 §11). Allocation goes round the range rather than reusing
//! the port just freed, so late packets of an ended call do not land in the next one (the
//! latching would drop them anyway, but they would cost a latch race).
//!
//! The pool only books ports; the driver binds them. When the OS refuses a port (another
//! program holds it) the driver releases it and allocates again: the cursor has moved on.

/// Even RTP ports in `[first, last]` whose RTP + 1 is also in range.
#[derive(Debug, Clone)]
pub struct PortPool {
    first: u16,
    in_use: Vec<bool>,
    used: usize,
    cursor: usize,
}

impl PortPool {
    /// `first..=last`; `first` is rounded up to even. An empty range gives an empty pool.
    pub fn new(first: u16, last: u16) -> PortPool {
        let first = first.saturating_add(first % 2);
        let pairs = if last > first {
            usize::from((last - first - 1) / 2 + 1)
        } else {
            0
        };
        PortPool {
            first,
            in_use: vec![false; pairs],
            used: 0,
            cursor: 0,
        }
    }

    /// Books a free RTP port (RTCP = returned + 1), or None when every pair is taken.
    pub fn allocate(&mut self) -> Option<u16> {
        let n = self.in_use.len();
        for step in 0..n {
            let i = (self.cursor + step) % n;
            if let Some(slot) = self.in_use.get_mut(i).filter(|used| !**used) {
                *slot = true;
                self.used += 1;
                self.cursor = (i + 1) % n;
                return u16::try_from(i).ok().map(|i| self.first + 2 * i);
            }
        }
        None
    }

    /// Gives `port` back. False when it is not one of ours or was not booked.
    pub fn release(&mut self, port: u16) -> bool {
        let Some(offset) = port.checked_sub(self.first).filter(|o| o % 2 == 0) else {
            return false;
        };
        match self.in_use.get_mut(usize::from(offset / 2)) {
            Some(slot) if *slot => {
                *slot = false;
                self.used -= 1;
                true
            }
            _ => false,
        }
    }

    /// RTP ports booked now.
    pub fn in_use(&self) -> usize {
        self.used
    }

    /// RTP/RTCP pairs in the range.
    pub fn capacity(&self) -> usize {
        self.in_use.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_pairs_inside_the_range() {
        let mut p = PortPool::new(10001, 10008);
        assert_eq!(p.capacity(), 3); // 10002/3, 10004/5, 10006/7 (10008 has no 10009)
        let got: Vec<_> = (0..3).filter_map(|_| p.allocate()).collect();
        assert_eq!(got, vec![10002, 10004, 10006]);
        assert_eq!(p.allocate(), None);
        assert_eq!(p.in_use(), 3);
        assert_eq!(PortPool::new(10000, 10001).capacity(), 1);
        assert_eq!(PortPool::new(10000, 10000).capacity(), 0);
        assert_eq!(PortPool::new(65534, 65535).capacity(), 1);
        assert_eq!(PortPool::new(65535, 65535).capacity(), 0);
    }

    #[test]
    fn released_ports_come_back_after_the_others() {
        let mut p = PortPool::new(20000, 20005);
        let a = p.allocate();
        let b = p.allocate();
        assert_eq!((a, b), (Some(20000), Some(20002)));
        assert!(p.release(20000));
        // Round-robin: the untouched pair first, then the freed one.
        assert_eq!(p.allocate(), Some(20004));
        assert_eq!(p.allocate(), Some(20000));
        assert_eq!(p.allocate(), None);
        assert_eq!(p.in_use(), 3);
    }

    #[test]
    fn release_checks_the_port() {
        let mut p = PortPool::new(20000, 20003);
        assert!(!p.release(20000), "not booked");
        assert!(!p.release(20001), "odd");
        assert!(!p.release(19998), "below");
        assert!(!p.release(20004), "above");
        let port = p.allocate().unwrap_or_default();
        assert!(p.release(port));
        assert!(!p.release(port), "twice");
        assert_eq!(p.in_use(), 0);
    }
}
