//! Packet metadata (`data_meta`..`data`): a comparison `data_meta + k <= data` shows `k`
//! bytes of metadata, and an access of metadata must lie inside what was shown.

use super::Env;
use super::memory::Mode;
use crate::obligation::{ObligationKind, Status};
use crate::state::{Reach, State};
use crate::value::{Pointer, Region};
use bpfprove_semantics::isa::Cond;

impl Env<'_> {
    /// `data_meta + x <cond> data` (either way round, `data` itself at offset 0): the edge
    /// where the metadata pointer is at most `data` learns the metadata's length.
    pub(super) fn packet_meta_check(
        &self,
        state: &State,
        p: &Pointer,
        q: &Pointer,
        cond: Cond,
    ) -> Option<(Reach, Reach)> {
        // (metadata pointer, the data pointer, its margin below data on the taken edge, on the fall-through edge)
        let (meta, data, taken, fallthrough) = match (p.region, q.region, cond) {
            (Region::PacketMeta, Region::Packet, Cond::Gt) => (p, q, None, Some(0)),
            (Region::PacketMeta, Region::Packet, Cond::Ge) => (p, q, None, Some(1)),
            (Region::PacketMeta, Region::Packet, Cond::Lt) => (p, q, Some(1), None),
            (Region::PacketMeta, Region::Packet, Cond::Le) => (p, q, Some(0), None),
            (Region::Packet, Region::PacketMeta, Cond::Gt) => (q, p, Some(1), None),
            (Region::Packet, Region::PacketMeta, Cond::Ge) => (q, p, Some(0), None),
            (Region::Packet, Region::PacketMeta, Cond::Lt) => (q, p, None, Some(0)),
            (Region::Packet, Region::PacketMeta, Cond::Le) => (q, p, None, Some(1)),
            _ => return None,
        };
        if data.offset.as_constant() != Some(0) || meta.null.may_be_null() || data.null.may_be_null() {
            return None;
        }
        let learn = |margin: Option<i64>| {
            let mut s = state.clone();
            if let Some(extra) = margin
                && let Some((lo, _)) = meta.offset.signed_bounds()
                && lo >= 0
            {
                s.packet.learn_meta_len((lo + extra) as u64);
            }
            Some(s)
        };
        Some((learn(taken), learn(fallthrough)))
    }

    /// An access of `len` bytes at metadata offsets `lo..=hi`.
    pub(super) fn packet_meta_bounds(
        &self,
        state: &State,
        lo: i128,
        hi: i128,
        len: i128,
        mode: Mode,
    ) -> (ObligationKind, Status, String) {
        if mode != Mode::Read && !self.packet_writes() {
            return (
                ObligationKind::PacketBounds,
                Status::Refuted,
                "the program type may not write packet metadata".into(),
            );
        }
        let meta_len = i128::from(state.packet.meta_len);
        let status = Status::decide(lo >= 0 && hi + len <= meta_len, hi < 0);
        (
            ObligationKind::PacketBounds,
            status,
            format!("metadata offsets [{lo}, {hi}] + {len}, data - data_meta >= {meta_len}"),
        )
    }
}
