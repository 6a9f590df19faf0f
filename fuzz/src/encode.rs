//! The inverse of the `Arbitrary` decoding of [`Input`] (arbitrary 1.x: integers little-endian, `bool` one byte,
//! `Option` a bool then the value, an enum variant `i` of `n` a u32 with `(v * n) >> 32 == i`, the trailing `Vec`
//! one `true` byte before each element). Used to write readable op sequences as seed files
//! (`examples/seeds.rs`, which checks that every seed decodes back to the same input).

use crate::ops::{Amount, Count, Dt, Dur, IdSel, Input, Op, Req, Secs, Start, Ttl};

pub trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

fn variant(i: u64, n: u64, out: &mut Vec<u8>) {
    // The smallest v with (v * n) >> 32 == i.
    let v = (i << 32).div_ceil(n);
    out.extend_from_slice(&(v as u32).to_le_bytes());
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
ints!(u8, u16, u32, u64, i8, i64);

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Encode for f64 {
    fn encode(&self, out: &mut Vec<u8>) {
        self.to_bits().encode(out);
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => false.encode(out),
            Some(v) => {
                true.encode(out);
                v.encode(out);
            }
        }
    }
}

impl Encode for Start {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Start::Recent { days, minute } => {
                variant(0, 3, out);
                days.encode(out);
                minute.encode(out);
            }
            Start::Any(ms) => {
                variant(1, 3, out);
                ms.encode(out);
            }
            Start::NearEnd(m) => {
                variant(2, 3, out);
                m.encode(out);
            }
        }
    }
}

impl Encode for Dt {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 8;
        match self {
            Dt::Same => variant(0, n, out),
            Dt::Millis(v) => (variant(1, n, out), v.encode(out)).1,
            Dt::Minutes(v) => (variant(2, n, out), v.encode(out)).1,
            Dt::Hours(v) => (variant(3, n, out), v.encode(out)).1,
            Dt::Days(v) => (variant(4, n, out), v.encode(out)).1,
            Dt::Back(v) => (variant(5, n, out), v.encode(out)).1,
            Dt::NextMidnight(v) => (variant(6, n, out), v.encode(out)).1,
            Dt::NextChange(v) => (variant(7, n, out), v.encode(out)).1,
        }
    }
}

impl Encode for Dur {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 8;
        match self {
            Dur::Zero => variant(0, n, out),
            Dur::Millis(v) => (variant(1, n, out), v.encode(out)).1,
            Dur::Minutes(v) => (variant(2, n, out), v.encode(out)).1,
            Dur::Hours(v) => (variant(3, n, out), v.encode(out)).1,
            Dur::Days(v) => (variant(4, n, out), v.encode(out)).1,
            Dur::Months(v) => (variant(5, n, out), v.encode(out)).1,
            Dur::Negative(v) => (variant(6, n, out), v.encode(out)).1,
            Dur::ToEnd => variant(7, n, out),
        }
    }
}

impl Encode for Amount {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 8;
        match self {
            Amount::Small(v) => (variant(0, n, out), v.encode(out)).1,
            Amount::Medium(v) => (variant(1, n, out), v.encode(out)).1,
            Amount::Zero => variant(2, n, out),
            Amount::Max => variant(3, n, out),
            Amount::Over => variant(4, n, out),
            Amount::TwoPow53 => variant(5, n, out),
            Amount::U64Max => variant(6, n, out),
            Amount::Raw(v) => (variant(7, n, out), v.encode(out)).1,
        }
    }
}

impl Encode for Count {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 6;
        match self {
            Count::Small(v) => (variant(0, n, out), v.encode(out)).1,
            Count::Big(v) => (variant(1, n, out), v.encode(out)).1,
            Count::Zero => variant(2, n, out),
            Count::Max => variant(3, n, out),
            Count::Over => variant(4, n, out),
            Count::U64Max => variant(5, n, out),
        }
    }
}

impl Encode for Secs {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 10;
        match self {
            Secs::None => variant(0, n, out),
            Secs::Halves(v) => (variant(1, n, out), v.encode(out)).1,
            Secs::Max => variant(2, n, out),
            Secs::Over => variant(3, n, out),
            Secs::Zero => variant(4, n, out),
            Secs::Negative => variant(5, n, out),
            Secs::Nan => variant(6, n, out),
            Secs::Infinite => variant(7, n, out),
            Secs::Tiny => variant(8, n, out),
            Secs::Raw(v) => (variant(9, n, out), v.encode(out)).1,
        }
    }
}

impl Encode for IdSel {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 7;
        match self {
            IdSel::Pool(v) => (variant(0, n, out), v.encode(out)).1,
            IdSel::Lot(v) => (variant(1, n, out), v.encode(out)).1,
            IdSel::Empty => variant(2, n, out),
            IdSel::MaxLen => variant(3, n, out),
            IdSel::TooLong => variant(4, n, out),
            IdSel::Control => variant(5, n, out),
            IdSel::Unicode => variant(6, n, out),
        }
    }
}

impl Encode for Req {
    fn encode(&self, out: &mut Vec<u8>) {
        self.feature.encode(out);
        self.units.encode(out);
        self.tier.encode(out);
        self.seconds.encode(out);
        self.alt_catalog.encode(out);
    }
}

impl Encode for Ttl {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 6;
        match self {
            Ttl::Seconds(v) => (variant(0, n, out), v.encode(out)).1,
            Ttl::Days(v) => (variant(1, n, out), v.encode(out)).1,
            Ttl::Max => variant(2, n, out),
            Ttl::Over => variant(3, n, out),
            Ttl::Zero => variant(4, n, out),
            Ttl::Raw(v) => (variant(5, n, out), v.encode(out)).1,
        }
    }
}

impl Encode for Op {
    fn encode(&self, out: &mut Vec<u8>) {
        let n = 15;
        match self {
            Op::StartTrial { len, credits } => {
                variant(0, n, out);
                len.encode(out);
                credits.encode(out);
            }
            Op::ActivateMembership {
                len,
                monthly,
                agent,
            } => {
                variant(1, n, out);
                len.encode(out);
                monthly.encode(out);
                agent.encode(out);
            }
            Op::DailyLogin { credits } => {
                variant(2, n, out);
                credits.encode(out);
            }
            Op::GrantPromotion { id, credits, len } => {
                variant(3, n, out);
                id.encode(out);
                credits.encode(out);
                len.encode(out);
            }
            Op::Purchase { id, credits } => {
                variant(4, n, out);
                id.encode(out);
                credits.encode(out);
            }
            Op::Charge { id, req } => {
                variant(5, n, out);
                id.encode(out);
                req.encode(out);
            }
            Op::Refund { charge, units, id } => {
                variant(6, n, out);
                charge.encode(out);
                units.encode(out);
                id.encode(out);
            }
            Op::Hold { id, req, ttl } => {
                variant(7, n, out);
                id.encode(out);
                req.encode(out);
                ttl.encode(out);
            }
            Op::Capture { hold, units } => {
                variant(8, n, out);
                hold.encode(out);
                units.encode(out);
            }
            Op::Release { hold } => {
                variant(9, n, out);
                hold.encode(out);
            }
            Op::Balance { ahead } => {
                variant(10, n, out);
                ahead.encode(out);
            }
            Op::Preview { req, ahead } => {
                variant(11, n, out);
                req.encode(out);
                ahead.encode(out);
            }
            Op::Project { ahead, span } => {
                variant(12, n, out);
                ahead.encode(out);
                span.encode(out);
            }
            Op::NextChange { ahead } => {
                variant(13, n, out);
                ahead.encode(out);
            }
            Op::Reload => variant(14, n, out),
        }
    }
}

impl Input {
    /// The bytes that `Input::arbitrary_take_rest` decodes to this input.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.zone.encode(&mut out);
        self.start.encode(&mut out);
        for (dt, op) in &self.steps {
            true.encode(&mut out);
            dt.encode(&mut out);
            op.encode(&mut out);
        }
        out
    }
}
