//! One sub-band's ADPCM state (G.722 §3.3–3.6, §6.2): the adaptive scale factor (blocks
//! 3L/3H, LOGSCL/SCALEL) and the pole-zero predictor (block 4: RECONS, PARREC, UPPOL1/2,
//! UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC). Encoder and decoder run exactly the same
//! updates from the same quantised values, which is what keeps them in step.

use super::qmf::saturate;

/// Log-domain scale factor multipliers, lower band (Table 15/G.722: WL, indexed by RL42).
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// Upper band (WH, indexed by RH2).
const WH: [i32; 3] = [0, -214, 798];
/// 4-bit lower-band code to WL index.
pub(crate) const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/// 2-bit upper-band code to WH index.
pub(crate) const RH2: [usize; 4] = [2, 1, 2, 1];
/// Antilog table of the scale factor mantissa (ILB).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Which band: they differ only in the multiplier table, the log ceiling and the shift.
#[derive(Clone, Copy)]
pub(crate) enum Which {
    Low,
    High,
}

pub(crate) struct Band {
    which: Which,
    /// Signal estimate (the prediction the quantiser works against).
    pub(crate) s: i32,
    sp: i32,
    sz: i32,
    r: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    p: [i32; 3],
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    /// Log scale factor (NBL / NBH).
    nb: i32,
    /// Quantiser scale factor (DETL / DETH).
    pub(crate) det: i32,
}

impl Band {
    pub(crate) fn new(which: Which) -> Self {
        Band {
            which,
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            a: [0; 3],
            ap: [0; 3],
            p: [0; 3],
            d: [0; 7],
            b: [0; 7],
            bp: [0; 7],
            nb: 0,
            // The reset values of §6.2.1: DETL = 32, DETH = 8.
            det: match which {
                Which::Low => 32,
                Which::High => 8,
            },
        }
    }

    /// Blocks 3L/3H: adapt the scale factor to the last code (`class` = RL42/RH2 of it).
    pub(crate) fn scale(&mut self, class: usize) {
        let (table, ceiling, shift): (&[i32], i32, i32) = match self.which {
            Which::Low => (&WL, 18_432, 8),
            Which::High => (&WH, 22_528, 10),
        };
        let leaked = (self.nb * 127) >> 7;
        self.nb = (leaked + table[class]).clamp(0, ceiling);
        let mantissa = ILB[((self.nb >> 6) & 31) as usize];
        let exp = shift - (self.nb >> 11);
        let det = if exp < 0 {
            mantissa << -exp
        } else {
            mantissa >> exp
        };
        self.det = det << 2;
    }

    /// Block 4: take the quantised difference `d` and update the predictor, leaving the next
    /// estimate in `s`.
    pub(crate) fn predict(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = saturate(self.s + d);
        self.p[0] = saturate(self.sz + d);

        // UPPOL2: second pole coefficient.
        let sg = |v: i32| v >> 15;
        let wd1 = saturate(self.a[1] << 2);
        let wd2 = if sg(self.p[0]) == sg(self.p[1]) {
            -wd1
        } else {
            wd1
        }
        .min(32_767);
        let mut wd3 = (wd2 >> 7)
            + if sg(self.p[0]) == sg(self.p[2]) {
                128
            } else {
                -128
            };
        wd3 += (self.a[2] * 32_512) >> 15;
        self.ap[2] = wd3.clamp(-12_288, 12_288);

        // UPPOL1: first pole coefficient, kept inside the stability triangle.
        let wd1 = if sg(self.p[0]) == sg(self.p[1]) {
            192
        } else {
            -192
        };
        let wd2 = (self.a[1] * 32_640) >> 15;
        let limit = saturate(15_360 - self.ap[2]);
        self.ap[1] = saturate(wd1 + wd2).clamp(-limit, limit);

        // UPZERO: the six zero coefficients, sign-sign LMS.
        let step = if d == 0 { 0 } else { 128 };
        for i in 1..7 {
            let wd2 = if sg(self.d[i]) == sg(d) { step } else { -step };
            let wd3 = (self.b[i] * 32_640) >> 15;
            self.bp[i] = saturate(wd2 + wd3);
        }

        // DELAYA
        self.d.copy_within(0..6, 1);
        self.b[1..].copy_from_slice(&self.bp[1..]);
        self.r.copy_within(0..2, 1);
        self.p.copy_within(0..2, 1);
        self.a[1] = self.ap[1];
        self.a[2] = self.ap[2];

        // FILTEP, FILTEZ, PREDIC
        let pole = |a: i32, r: i32| (a * saturate(r + r)) >> 15;
        self.sp = saturate(pole(self.a[1], self.r[1]) + pole(self.a[2], self.r[2]));
        let mut sz = 0;
        for i in 1..7 {
            sz += (self.b[i] * saturate(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = saturate(sz);
        self.s = saturate(self.sp + self.sz);
    }
}
