//! Resources a path must give back before the program ends, as the kernel tracks them:
//! acquired references (ring-buffer records, by the pc of the acquiring call) and RCU read
//! sections (`bpf_rcu_read_lock`/`bpf_rcu_read_unlock`).
//!
//! A reference is held from its acquiring call until a call releases it, or until a NULL
//! test shows that the acquiring call failed (the kernel releases it on that edge too).
//! Losing the pointer does not release it: the program exit then finds it held.
//!
//! The set is what *may* be held (a join is the union), and one acquisition per pc may be
//! live at a time: acquiring again at a pc whose reference may still be held is refused,
//! so a held id always names one record.

use imbl::OrdSet;

/// Deepest nesting of RCU read sections tracked; locking deeper is refused.
pub const MAX_RCU_DEPTH: u8 = 8;

/// References that may be held and the possible RCU read-section depths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// Pcs of the acquiring calls whose references may be held.
    pub held: OrdSet<u32>,
    /// The fewest RCU read sections that may be open.
    pub rcu_min: u8,
    /// The most RCU read sections that may be open.
    pub rcu_max: u8,
}

/// Whether something still held makes an action (exit, tail call, LD_ABS) unsafe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outstanding {
    /// Nothing is held.
    None,
    /// Something may be held.
    Maybe,
    /// Something is held on every path here.
    Surely,
}

impl Resources {
    /// The join: what either may hold.
    pub fn join(&self, other: &Resources) -> Resources {
        Resources {
            held: self.held.clone().union(other.held.clone()),
            rcu_min: self.rcu_min.min(other.rcu_min),
            rcu_max: self.rcu_max.max(other.rcu_max),
        }
    }

    /// `self ⊑ other`.
    pub fn leq(&self, other: &Resources) -> bool {
        self.held.is_subset(&other.held) && self.rcu_min >= other.rcu_min && self.rcu_max <= other.rcu_max
    }

    /// Records the reference acquired at `pc`; `false` when one acquired there may still be
    /// held (it would then be lost).
    pub fn acquire(&mut self, pc: u32) -> bool {
        self.held.insert(pc).is_none()
    }

    /// Releases the reference acquired at `pc`.
    pub fn release(&mut self, pc: u32) {
        self.held.remove(&pc);
    }

    /// Opens an RCU read section; `false` when the nesting would exceed [`MAX_RCU_DEPTH`].
    pub fn rcu_lock(&mut self) -> bool {
        if self.rcu_max >= MAX_RCU_DEPTH {
            return false;
        }
        self.rcu_min += 1;
        self.rcu_max += 1;
        true
    }

    /// Closes an RCU read section: whether one is open on every path, some, or none.
    pub fn rcu_unlock(&mut self) -> Outstanding {
        let open = match (self.rcu_min, self.rcu_max) {
            (_, 0) => Outstanding::None,
            (0, _) => Outstanding::Maybe,
            _ => Outstanding::Surely,
        };
        self.rcu_min = self.rcu_min.saturating_sub(1);
        self.rcu_max = self.rcu_max.saturating_sub(1);
        open
    }

    /// Whether an RCU read section may be open.
    pub fn rcu_open(&self) -> Outstanding {
        match (self.rcu_min, self.rcu_max) {
            (_, 0) => Outstanding::None,
            (0, _) => Outstanding::Maybe,
            _ => Outstanding::Surely,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_whatever_either_path_may_hold() {
        let mut a = Resources::default();
        assert!(a.acquire(4));
        assert!(a.rcu_lock());
        let b = Resources::default();
        let joined = a.join(&b);
        assert!(joined.held.contains(&4));
        assert_eq!(joined.rcu_open(), Outstanding::Maybe);
        assert!(a.leq(&joined) && b.leq(&joined) && !joined.leq(&a));
    }

    #[test]
    fn acquiring_twice_at_one_pc_is_refused() {
        let mut r = Resources::default();
        assert!(r.acquire(7));
        assert!(!r.acquire(7));
        r.release(7);
        assert!(r.acquire(7));
    }

    #[test]
    fn unlock_without_lock_is_seen() {
        let mut r = Resources::default();
        assert_eq!(r.rcu_unlock(), Outstanding::None);
        assert!(r.rcu_lock());
        assert_eq!(r.rcu_unlock(), Outstanding::Surely);
        assert_eq!(r.rcu_open(), Outstanding::None);
        for _ in 0..MAX_RCU_DEPTH {
            assert!(r.rcu_lock());
        }
        assert!(!r.rcu_lock());
    }
}
