//! The 24-tap quadrature mirror filters of G.722 §3.1 / §4.4: the transmit side splits 16 kHz
//! into two 8 kHz sub-bands, the receive side puts them back together. Together they delay
//! the signal by 22 samples at 16 kHz (1.4 ms); the ADPCM stages add none.

/// Half of the symmetric QMF coefficients h0..h11 (Table 11/G.722); h(23-i) = h(i).
const COEFFS: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// The end-to-end delay of transmit plus receive QMF, in 16 kHz samples.
#[cfg(test)]
pub(crate) const DELAY: usize = 22;

/// The last 24 input (transmit) or sub-band (receive) values, oldest first.
#[derive(Default)]
pub(crate) struct Qmf {
    x: [i32; 24],
}

impl Qmf {
    fn push(&mut self, first: i32, second: i32) {
        self.x.copy_within(2.., 0);
        self.x[22] = first;
        self.x[23] = second;
    }

    /// Sums over the even and the odd taps: the two polyphase branches.
    fn branches(&self) -> (i32, i32) {
        let (mut even, mut odd) = (0i32, 0i32);
        for (i, c) in COEFFS.iter().enumerate() {
            odd += self.x[2 * i] * c;
            even += self.x[2 * i + 1] * COEFFS[11 - i];
        }
        (even, odd)
    }

    /// Two 16 kHz samples in, one (low, high) sub-band pair out.
    pub(crate) fn analyse(&mut self, s0: i16, s1: i16) -> (i32, i32) {
        self.push(i32::from(s0), i32::from(s1));
        let (even, odd) = self.branches();
        ((even + odd) >> 14, (even - odd) >> 14)
    }

    /// One reconstructed (low, high) pair in, two 16 kHz samples out.
    pub(crate) fn synthesise(&mut self, low: i32, high: i32) -> [i16; 2] {
        self.push(low + high, low - high);
        let (first, second) = self.branches();
        [saturate(first >> 11) as i16, saturate(second >> 11) as i16]
    }
}

pub(crate) fn saturate(v: i32) -> i32 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX))
}
