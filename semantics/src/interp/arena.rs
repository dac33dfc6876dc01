//! An arena (`BPF_MAP_TYPE_ARENA`) as one run sees it: sparse pages shared with user
//! space, allocated and freed by `bpf_arena_alloc_pages`/`bpf_arena_free_pages`.
//!
//! Linux (kernel/bpf/arena.c) gives an arena two views. User space sees its pages at
//! `user_vm_start + 4096 × pgoff` (`map_extra`, or where `mmap` put them; the range never
//! crosses a 4 GiB boundary). A program sees them through a 4 GiB kernel window, at the
//! window offset `(u32)user address`; `addr_space_cast(r, 0, 1)` keeps those low 32 bits
//! and `addr_space_cast(r, 1, 0)` puts `user_vm_start`'s upper half back (0 stays 0).
//!
//! The verifier types the register a cast to address space 0 defines as `PTR_TO_ARENA`,
//! and every load and store through such a register becomes a `PROBE_MEM32` access of
//! `window + reg + off`: the window has no bounds check, an access of a page not
//! allocated faults and the fault is fixed up, a load yielding 0 and a store doing
//! nothing. [`Arena::load`] and [`Arena::store`] are those accesses, by window offset
//! (which may be negative or past 4 GiB by the 16-bit `off`: guard pages, never mapped).

use std::collections::BTreeMap;

use thiserror::Error;

use super::helpers::HelperError;
use crate::isa::Size;

/// Bytes of an arena page.
pub const ARENA_PAGE_BYTES: u64 = 4096;
/// Bytes of arena pages one run may hold at once; more is an error of the model, never an
/// allocation that aborts.
pub const MAX_ARENA_BYTES: u64 = 256 << 20;
/// The user address an arena without `map_extra` gets, as `mmap` would choose one: the top
/// of a 4 GiB window, so its low 32 bits are not zero when it is smaller than 4 GiB.
const DEFAULT_USER_WINDOW: u64 = 0x7f00_0000_0000;
const FOUR_GIB: u64 = 1 << 32;
/// Linux's `NUMA_NO_NODE`; the model's machine has one NUMA node, 0.
const NUMA_NO_NODE: i32 = -1;

/// Why an arena cannot be set up for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
pub enum ArenaError {
    /// `max_entries` pages do not fit the 4 GiB window, or there are none.
    #[error("an arena of {pages} pages does not fit in 1..=4 GiB")]
    Size {
        /// `max_entries`.
        pages: u32,
    },
    /// `map_extra` is not page-aligned, or the range crosses a 4 GiB boundary.
    #[error("arena start {start:#x} is not page-aligned or its {pages} pages cross a 4 GiB boundary")]
    Start {
        /// `map_extra`.
        start: u64,
        /// `max_entries`.
        pages: u32,
    },
}

/// The arena of a run's program (Linux allows one per program).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arena {
    /// The arena map's handle, which the kfuncs take.
    handle: u64,
    user_vm_start: u64,
    /// `max_entries`: the pages the user range holds.
    pages_max: u64,
    /// `BPF_F_NO_USER_CONV`: casts to address space 1 keep only the low 32 bits.
    no_user_conv: bool,
    /// The allocated pages, by page offset in the user range.
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl Arena {
    /// The arena of map `handle`, of `max_entries` pages starting at user address
    /// `map_extra` (0: the run picks one) with map flags `map_flags`.
    pub fn new(handle: u64, max_entries: u32, map_extra: u64, map_flags: u32) -> Result<Arena, ArenaError> {
        const BPF_F_NO_USER_CONV: u32 = 1 << 18;
        let range = u64::from(max_entries) * ARENA_PAGE_BYTES;
        if max_entries == 0 || range > FOUR_GIB {
            return Err(ArenaError::Size { pages: max_entries });
        }
        let start = if map_extra == 0 { DEFAULT_USER_WINDOW + (FOUR_GIB - range) } else { map_extra };
        let crosses = start.checked_add(range - 1).is_none_or(|last| last >> 32 != start >> 32);
        if !start.is_multiple_of(ARENA_PAGE_BYTES) || crosses {
            return Err(ArenaError::Start { start, pages: max_entries });
        }
        Ok(Arena {
            handle,
            user_vm_start: start,
            pages_max: u64::from(max_entries),
            no_user_conv: map_flags & BPF_F_NO_USER_CONV != 0,
            pages: BTreeMap::new(),
        })
    }

    /// The arena map's handle.
    pub fn handle(&self) -> u64 {
        self.handle
    }

    /// The user address of page offset 0.
    pub fn user_vm_start(&self) -> u64 {
        self.user_vm_start
    }

    /// Allocates the last pages for the object's arena globals and copies `image` there,
    /// as libbpf does when it loads the object.
    pub fn place_globals(&mut self, image: &[u8]) -> Result<(), ArenaError> {
        if image.is_empty() {
            return Ok(());
        }
        let pages = (image.len() as u64).div_ceil(ARENA_PAGE_BYTES);
        let too_big = ArenaError::Size { pages: u32::try_from(self.pages_max).unwrap_or(u32::MAX) };
        let first = self.pages_max.checked_sub(pages).ok_or(too_big)?;
        if pages * ARENA_PAGE_BYTES > MAX_ARENA_BYTES {
            return Err(too_big);
        }
        for page in first..self.pages_max {
            self.pages.insert(page, vec![0; ARENA_PAGE_BYTES as usize].into_boxed_slice());
        }
        let start = (self.user_vm_start & 0xffff_ffff) + first * ARENA_PAGE_BYTES;
        for (i, byte) in image.iter().enumerate() {
            self.store(start + i as u64, 0, crate::isa::Size::B, u64::from(*byte));
        }
        Ok(())
    }

    /// `addr_space_cast(value, 1, 0)`: the user address of window offset `(u32)value`.
    pub fn to_user(&self, value: u64) -> u64 {
        let low = value & 0xffff_ffff;
        if self.no_user_conv || low == 0 { low } else { (self.user_vm_start & !0xffff_ffff) | low }
    }

    /// The page offset holding window offset `at`, if that page is allocated.
    fn page_at(&self, at: i128) -> Option<(u64, usize)> {
        let at = u64::try_from(at).ok().filter(|&at| at < FOUR_GIB)?;
        let first = self.user_vm_start & 0xffff_ffff;
        let pgoff = at.checked_sub(first)? / ARENA_PAGE_BYTES;
        self.pages.contains_key(&pgoff).then_some((pgoff, (at % ARENA_PAGE_BYTES) as usize))
    }

    /// Whether every byte of `[at, at + len)` lies in allocated pages.
    fn mapped(&self, at: i128, len: u32) -> bool {
        (0..i128::from(len)).all(|i| self.page_at(at + i).is_some())
    }

    /// A `PROBE_MEM32` load of `size` at window offset `base + off`: 0 unless every byte is
    /// in an allocated page.
    pub fn load(&self, base: u64, off: i16, size: Size) -> u64 {
        let at = i128::from(base) + i128::from(off);
        if !self.mapped(at, size.bytes()) {
            return 0;
        }
        let mut bytes = [0u8; 8];
        for (i, byte) in bytes.iter_mut().take(size.bytes() as usize).enumerate() {
            let (pgoff, within) = self.page_at(at + i as i128).expect("mapped() checked every byte");
            *byte = self.pages[&pgoff][within];
        }
        u64::from_le_bytes(bytes)
    }

    /// A `PROBE_MEM32` store of the low `size` bytes of `value` at window offset
    /// `base + off`: dropped unless every byte is in an allocated page.
    pub fn store(&mut self, base: u64, off: i16, size: Size, value: u64) {
        let at = i128::from(base) + i128::from(off);
        if !self.mapped(at, size.bytes()) {
            return;
        }
        for (i, byte) in value.to_le_bytes().iter().take(size.bytes() as usize).enumerate() {
            let (pgoff, within) = self.page_at(at + i as i128).expect("mapped() checked every byte");
            self.pages.get_mut(&pgoff).expect("page_at found it")[within] = *byte;
        }
    }

    /// `bpf_arena_alloc_pages(arena, addr, page_cnt, node_id, flags)`: the user address of
    /// `page_cnt` new zeroed pages (at `addr` if it is not 0, else at the lowest free
    /// range), or 0 where Linux returns NULL.
    pub fn alloc(&mut self, addr: u64, page_cnt: u32, node_id: i32, flags: u64) -> Result<u64, HelperError> {
        let count = u64::from(page_cnt);
        if flags != 0 || count == 0 || count > self.pages_max || !(node_id == NUMA_NO_NODE || node_id == 0) {
            return Ok(0);
        }
        let pgoff = if addr != 0 {
            if !addr.is_multiple_of(ARENA_PAGE_BYTES) {
                return Ok(0);
            }
            // Linux: `(u32)(uaddr - (u32)user_vm_start) >> PAGE_SHIFT`.
            let pgoff = u64::from(addr.wrapping_sub(self.user_vm_start & 0xffff_ffff) as u32) / ARENA_PAGE_BYTES;
            if pgoff > self.pages_max - count || self.pages.range(pgoff..pgoff + count).next().is_some() {
                return Ok(0);
            }
            pgoff
        } else {
            match self.lowest_free_range(count) {
                Some(pgoff) => pgoff,
                None => return Ok(0),
            }
        };
        if (self.pages.len() as u64 + count) * ARENA_PAGE_BYTES > MAX_ARENA_BYTES {
            return Err(HelperError::InvalidArgument {
                register: 3,
                value: count,
                reason: "the model holds at most 256 MiB of arena pages",
            });
        }
        for page in pgoff..pgoff + count {
            self.pages.insert(page, vec![0; ARENA_PAGE_BYTES as usize].into_boxed_slice());
        }
        Ok(self.user_vm_start + pgoff * ARENA_PAGE_BYTES)
    }

    /// The first page offset of the lowest run of `count` free pages.
    fn lowest_free_range(&self, count: u64) -> Option<u64> {
        let mut candidate = 0;
        for &used in self.pages.keys() {
            if used >= candidate + count {
                break;
            }
            candidate = candidate.max(used + 1);
        }
        (candidate + count <= self.pages_max).then_some(candidate)
    }

    /// `bpf_arena_free_pages(arena, ptr, page_cnt)`: frees the allocated pages of the
    /// `page_cnt` pages at `ptr`'s low 32 bits (page-aligned down), clipped to the arena.
    pub fn free(&mut self, ptr: u64, page_cnt: u32) {
        if ptr == 0 || page_cnt == 0 {
            return;
        }
        let window = (ptr & 0xffff_ffff) & !(ARENA_PAGE_BYTES - 1);
        let full = (self.user_vm_start & !0xffff_ffff) + window;
        let end =
            (self.user_vm_start + self.pages_max * ARENA_PAGE_BYTES).min(full + u64::from(page_cnt) * ARENA_PAGE_BYTES);
        if full < self.user_vm_start || full >= end {
            return;
        }
        let first = (full - self.user_vm_start) / ARENA_PAGE_BYTES;
        let last = (end - self.user_vm_start) / ARENA_PAGE_BYTES;
        let freed: Vec<u64> = self.pages.range(first..last).map(|(&page, _)| page).collect();
        for page in freed {
            self.pages.remove(&page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_PAGES_BELOW_4G: u64 = (1 << 44) | (0xffff_ffff - 2 * ARENA_PAGE_BYTES + 1);

    #[test]
    fn pages_are_allocated_lowest_first_and_reused_after_a_free() {
        let mut arena = Arena::new(7, 2, TWO_PAGES_BELOW_4G, 0).expect("valid arena");
        let first = arena.alloc(0, 1, -1, 0).unwrap();
        let second = arena.alloc(0, 1, -1, 0).unwrap();
        assert_eq!((first, second), (TWO_PAGES_BELOW_4G, TWO_PAGES_BELOW_4G + ARENA_PAGE_BYTES));
        assert_eq!(arena.alloc(0, 1, -1, 0), Ok(0), "the arena is full");
        arena.free(second, 1);
        assert_eq!(arena.alloc(0, 1, -1, 0), Ok(second));
        assert_eq!(arena.alloc(0, 1, 5, 0), Ok(0), "no NUMA node 5");
        assert_eq!(arena.alloc(0, 1, -1, 1), Ok(0), "flags must be 0");
    }

    #[test]
    fn accesses_outside_allocated_pages_read_zero_and_drop_stores() {
        let mut arena = Arena::new(7, 2, TWO_PAGES_BELOW_4G, 0).expect("valid arena");
        let page = arena.alloc(0, 1, -1, 0).unwrap();
        let at = page & 0xffff_ffff;
        arena.store(at, 0, Size::W, 0x1234_5678);
        assert_eq!(arena.load(at, 0, Size::W), 0x1234_5678);
        arena.store(at, 0x1000, Size::B, 9);
        assert_eq!(arena.load(at, 0x1000, Size::B), 0, "the next page is not allocated");
        assert_eq!(arena.load(at, -1, Size::B), 0);
        assert_eq!(arena.load(at, 0xffe, Size::W), 0, "straddles an unallocated page");
        assert_eq!(arena.load(u64::MAX, i16::MIN, Size::DW), 0, "far outside the window");
        arena.free(page, 1);
        assert_eq!(arena.load(at, 0, Size::W), 0, "use after free reads 0");
    }

    #[test]
    fn hinted_allocations_and_casts_follow_the_user_range() {
        let mut arena = Arena::new(7, 1 << 20, 0, 0).expect("4 GiB arena");
        let start = arena.user_vm_start();
        assert_eq!(start & 0xffff_ffff, 0);
        assert_eq!(arena.alloc(start + (1 << 32) - 2 * ARENA_PAGE_BYTES, 1, -1, 0), Ok(start + (1 << 32) - 8192));
        assert_eq!(arena.alloc(start + (1 << 32) - 2 * ARENA_PAGE_BYTES, 1, -1, 0), Ok(0), "taken");
        assert_eq!(arena.alloc(start + 1, 1, -1, 0), Ok(0), "not page-aligned");
        assert_eq!(arena.to_user(0x1000), start | 0x1000);
        assert_eq!(arena.to_user(0), 0);
        assert!(Arena::new(7, 2, (1 << 32) - ARENA_PAGE_BYTES, 0).is_err(), "crosses 4 GiB");
        assert!(Arena::new(7, 0, 0, 0).is_err());
    }
}
