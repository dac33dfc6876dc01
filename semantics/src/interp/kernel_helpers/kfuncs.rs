//! The bodies of the kfuncs of [`crate::model::kfuncs`], and the kernel objects they
//! manage in one run.
//!
//! - **Kernel objects** (tasks, cgroups, CPU masks, files, the kernel context, read-only
//!   casts) are read-only regions of their kind's probe window
//!   ([`ObjectKind::probe_bytes`]): loads read zeros, as `PROBE_MEM` loads of unknown fields
//!   may; stores fail. A reference count is kept here. The current task and the root
//!   cgroup exist for the whole run (looking them up takes a reference, releasing gives it
//!   back; releasing a reference not taken fails; `bpf_get_current_task_btf` lends the task
//!   without one). A CPU mask, a file or a key is made by its acquiring kfunc and freed
//!   when its last reference goes: any later use fails.
//! - **Iterators** live on the program's stack; which stack addresses hold an initialised
//!   one, and its position, is kept here, so `next` or `destroy` of anything else fails.
//!   `next` writes the current item into the iterator's own bytes and returns its address,
//!   as the kernel does.
//! - **Dynptrs** are the kernel's 16 stack bytes: the data address, the size with the type
//!   and read-only bits, and the offset. Slices are checked against them, and every access
//!   through a slice against the region under it.
//! - **Resilient spin locks** are the 4-byte word of the lock in a map value.
//!
//! The machine has [`CPUS`] CPUs.

use std::collections::BTreeMap;

use super::super::arena::Arena;
use super::super::maps::{errno, map_of_handle};
use super::super::memory::{Access, Memory, MemoryError, RegionId, RegionKind, region_base};
use super::{CGROUP_ID, HelperError, HelperFn, TASK_PID, errno_u32};
use crate::model::kfuncs::{Builtin, IterKind, ObjectKind};
use crate::model::program_type::ProgramType;

/// How many CPUs the machine has (CPU masks hold this many bits).
pub const CPUS: u32 = 4;
/// `EDEADLK`: what a resilient spin lock returns when the lock is already held.
const EDEADLK: u64 = 35;
/// `ERANGE`.
const ERANGE: u64 = 34;
/// Linux's `BPF_MAX_LOOPS`: the longest range a number iterator takes.
const MAX_LOOPS: i64 = 1 << 23;
/// Linux's `BITS_ITER_NR_WORDS_MAX`.
const BITS_MAX_WORDS: u64 = 511;

/// Bits of the dynptr's size word (`struct bpf_dynptr_kern`).
const DYNPTR_SIZE_MASK: u32 = 0x00ff_ffff;
const DYNPTR_TYPE_SHIFT: u32 = 28;
const DYNPTR_RDONLY: u32 = 1 << 31;
const DYNPTR_TYPE_SKB: u32 = 3;
const DYNPTR_TYPE_XDP: u32 = 4;

/// The kfuncs a run provides: name, body. Bodies receive `r1`–`r5`; a kfunc with implicit
/// arguments (`KF_IMPLICIT_ARGS`) reads only its visible ones. `int` results are returned
/// zero-extended, as a 32-bit `mov` to `eax` leaves them in the kernel. One per line.
pub(super) const KFUNCS: &[(&str, HelperFn)] = &[
    ("bpf_cast_to_kern_ctx", |h, a, m, _| h.kernel.kernel_context(m, a[0])),
    // The kernel returns the argument itself as an untrusted pointer; loads through it
    // cannot fault. Here it is an object of arbitrary bytes to read.
    ("bpf_rdonly_cast", |h, _, m, _| h.kernel.borrowed(m, ObjectKind::Untrusted)),
    ("bpf_rcu_read_lock", |_, _, _, _| Ok(0)),
    ("bpf_arena_alloc_pages", |_, a, m, _| arena_alloc_pages(m, a)),
    ("bpf_arena_free_pages", |_, a, m, _| arena_free_pages(m, a)),
    ("bpf_rcu_read_unlock", |_, _, _, _| Ok(0)),
    ("bpf_iter_num_new", |h, a, m, _| h.kernel.iter_num_new(m, a)),
    ("bpf_iter_num_next", |h, a, m, _| h.kernel.iter_next(m, a[0], IterKind::Num)),
    ("bpf_iter_num_destroy", |h, a, _, _| h.kernel.iter_destroy(a[0], IterKind::Num)),
    ("bpf_iter_bits_new", |h, a, m, _| h.kernel.iter_bits_new(m, a)),
    ("bpf_iter_bits_next", |h, a, m, _| h.kernel.iter_next(m, a[0], IterKind::Bits)),
    ("bpf_iter_bits_destroy", |h, a, _, _| h.kernel.iter_destroy(a[0], IterKind::Bits)),
    ("bpf_dynptr_from_skb", |h, a, m, _| dynptr_from_packet(m, a, h.program_type, DYNPTR_TYPE_SKB)),
    ("bpf_dynptr_from_xdp", |h, a, m, _| dynptr_from_packet(m, a, h.program_type, DYNPTR_TYPE_XDP)),
    ("bpf_dynptr_slice", |_, a, m, _| dynptr_slice(m, a, false)),
    ("bpf_dynptr_slice_rdwr", |_, a, m, _| dynptr_slice(m, a, true)),
    ("bpf_dynptr_adjust", |_, a, m, _| dynptr_adjust(m, a)),
    ("bpf_dynptr_is_null", |_, a, m, _| Ok(u64::from(Dynptr::read(m, a[0])?.data == 0))),
    ("bpf_dynptr_is_rdonly", |_, a, m, _| Dynptr::read(m, a[0]).map(|d| u64::from(d.data != 0 && d.rdonly()))),
    ("bpf_dynptr_size", |_, a, m, _| dynptr_size(m, a[0])),
    ("bpf_dynptr_clone", |_, a, m, _| dynptr_clone(m, a)),
    ("bpf_task_from_pid", |h, a, m, _| h.kernel.lookup(m, ObjectKind::Task, a[0] as u32 == TASK_PID)),
    ("bpf_task_acquire", |h, a, _, _| h.kernel.acquire(a[0], ObjectKind::Task)),
    ("bpf_task_release", |h, a, m, _| h.kernel.release(m, a[0], ObjectKind::Task)),
    ("bpf_cgroup_from_id", |h, a, m, _| h.kernel.lookup(m, ObjectKind::Cgroup, a[0] == CGROUP_ID)),
    ("bpf_cgroup_acquire", |h, a, _, _| h.kernel.acquire(a[0], ObjectKind::Cgroup)),
    ("bpf_cgroup_release", |h, a, m, _| h.kernel.release(m, a[0], ObjectKind::Cgroup)),
    ("bpf_cpumask_create", |h, _, m, _| h.kernel.cpumask_create(m)),
    ("bpf_cpumask_acquire", |h, a, _, _| h.kernel.acquire(a[0], ObjectKind::Cpumask)),
    ("bpf_cpumask_release", |h, a, m, _| h.kernel.release(m, a[0], ObjectKind::Cpumask)),
    ("bpf_cpumask_set_cpu", |h, a, _, _| h.kernel.cpu_op(a, |mask, bit| (mask | bit, 0))),
    ("bpf_cpumask_clear_cpu", |h, a, _, _| h.kernel.cpu_op(a, |mask, bit| (mask & !bit, 0))),
    ("bpf_cpumask_test_cpu", |h, a, _, _| h.kernel.cpu_op(a, |mask, bit| (mask, u64::from(mask & bit != 0)))),
    ("bpf_cpumask_test_and_set_cpu", |h, a, _, _| {
        h.kernel.cpu_op(a, |mask, bit| (mask | bit, u64::from(mask & bit != 0)))
    }),
    ("bpf_cpumask_test_and_clear_cpu", |h, a, _, _| {
        h.kernel.cpu_op(a, |mask, bit| (mask & !bit, u64::from(mask & bit != 0)))
    }),
    ("bpf_cpumask_setall", |h, a, _, _| h.kernel.mask_op(a[0], |_| (all_cpus(), 0))),
    ("bpf_cpumask_clear", |h, a, _, _| h.kernel.mask_op(a[0], |_| (0, 0))),
    ("bpf_cpumask_first", |h, a, _, _| h.kernel.mask_op(a[0], |mask| (mask, first_set(mask)))),
    ("bpf_cpumask_first_zero", |h, a, _, _| h.kernel.mask_op(a[0], |mask| (mask, first_set(!mask & all_cpus())))),
    ("bpf_cpumask_empty", |h, a, _, _| h.kernel.mask_op(a[0], |mask| (mask, u64::from(mask == 0)))),
    ("bpf_cpumask_full", |h, a, _, _| h.kernel.mask_op(a[0], |mask| (mask, u64::from(mask == all_cpus())))),
    ("bpf_cpumask_weight", |h, a, _, _| h.kernel.mask_op(a[0], |mask| (mask, u64::from(mask.count_ones())))),
    ("bpf_cpumask_and", |h, a, _, _| h.kernel.combine(a, |x, y| x & y).map(|r| u64::from(r != 0))),
    ("bpf_cpumask_or", |h, a, _, _| h.kernel.combine(a, |x, y| x | y).map(|_| 0)),
    ("bpf_cpumask_xor", |h, a, _, _| h.kernel.combine(a, |x, y| x ^ y).map(|_| 0)),
    ("bpf_cpumask_equal", |h, a, _, _| Ok(u64::from(h.kernel.mask(a[0], 1)? == h.kernel.mask(a[1], 2)?))),
    ("bpf_cpumask_copy", |h, a, _, _| {
        let source = h.kernel.mask(a[1], 2)?;
        h.kernel.mask_op(a[0], |_| (source, 0))
    }),
    ("bpf_get_task_exe_file", |h, a, m, _| h.kernel.task_exe_file(m, a[0])),
    ("bpf_put_file", |h, a, m, _| h.kernel.release(m, a[0], ObjectKind::File)),
    ("bpf_lookup_user_key", |h, a, m, _| {
        let found = h.arbitrary().is_multiple_of(2);
        h.kernel.key_lookup(m, user_key_flags_valid(a[1]) && found)
    }),
    ("bpf_lookup_system_key", |h, a, m, _| h.kernel.key_lookup(m, a[0] <= MAX_SYSTEM_KEYRING)),
    ("bpf_key_put", |h, a, m, _| h.kernel.release(m, a[0], ObjectKind::Key)),
    ("bpf_res_spin_lock", |_, a, m, _| res_spin_lock(m, a[0])),
    ("bpf_res_spin_unlock", |_, a, m, _| res_spin_unlock(m, a[0])),
    ("bpf_ktime_get_coarse_ns", |h, _, _, _| Ok(h.clock())),
    // Linux's selftest kfunc: `int bpf_kfunc_implicit_arg(int a, struct bpf_prog_aux *aux)`
    // returns `a`; the verifier supplies `aux`.
    ("bpf_kfunc_implicit_arg", |_, a, _, _| Ok(u64::from(a[0] as u32))),
    // `int bpf_kfunc_implicit_arg_legacy(int a, int b, struct bpf_prog_aux *aux)`: `a + b`.
    ("bpf_kfunc_implicit_arg_legacy", |_, a, _, _| Ok(u64::from((a[0] as i32).wrapping_add(a[1] as i32) as u32))),
    // `int bpf_wq_set_callback(struct bpf_wq *wq, cb, unsigned int flags)`: no kfunc of
    // this environment initialises a `bpf_wq` (`bpf_wq_init` is not modelled), so the
    // kernel's answer is `-EINVAL` whatever the arguments.
    ("bpf_wq_set_callback", |_, _, _, _| Ok(errno_u32(errno::EINVAL))),
    // `int bpf_task_work_schedule_*(task, tw, map, callback)`: the callback runs when the
    // task next returns to user space, after the program; scheduling succeeds.
    ("bpf_task_work_schedule_signal", |_, a, _, c| super::schedule_task_work(a, c)),
    ("bpf_task_work_schedule_resume", |_, a, _, c| super::schedule_task_work(a, c)),
    ("bpf_stream_vprintk", |_, a, m, _| super::stream_vprintk(m, a)),
];

/// `KEY_LOOKUP_CREATE | KEY_LOOKUP_PARTIAL`: the flags `bpf_lookup_user_key` takes.
const KEY_LOOKUP_ALL: u64 = 0x3;
/// The largest system keyring id (`VERIFY_USE_PLATFORM_KEYRING`; 0 is the builtin
/// keyring, 1 the secondary one).
const MAX_SYSTEM_KEYRING: u64 = 2;

/// Whether `bpf_lookup_user_key` takes `flags` (others give NULL).
fn user_key_flags_valid(flags: u64) -> bool {
    flags & !KEY_LOOKUP_ALL == 0
}

/// A kernel object alive in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Object {
    kind: ObjectKind,
    /// References the program holds.
    references: u64,
    /// A CPU mask's bits.
    bits: u64,
}

/// An initialised iterator.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Iterator {
    kind: IterKind,
    /// The items still to come, in order.
    items: std::collections::VecDeque<i32>,
}

/// The kernel objects and iterators of one run (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelObjects {
    objects: BTreeMap<RegionId, Object>,
    /// The current task's and the root cgroup's regions, once made.
    singletons: BTreeMap<ObjectKind, RegionId>,
    /// Initialised iterators by stack address.
    iterators: BTreeMap<u64, Iterator>,
}

fn invalid(register: u8, value: u64, reason: &'static str) -> HelperError {
    HelperError::InvalidArgument { register, value, reason }
}

fn all_cpus() -> u64 {
    (1u64 << CPUS) - 1
}

/// The index of the lowest set bit, or [`CPUS`] when none is (the kernel's "past the end").
fn first_set(mask: u64) -> u64 {
    if mask == 0 { u64::from(CPUS) } else { u64::from(mask.trailing_zeros()) }
}

impl KernelObjects {
    /// A new region for an object of `kind` with `references`.
    fn make(&mut self, memory: &mut Memory, kind: ObjectKind, references: u64) -> Result<RegionId, MemoryError> {
        let bytes = vec![0; kind.probe_bytes() as usize];
        let region = memory.add_region(RegionKind::Other, bytes, Access::ReadOnly)?;
        self.objects.insert(region, Object { kind, references, bits: 0 });
        Ok(region)
    }

    /// A new reference to the long-lived object of `kind` when `found`, else NULL.
    fn lookup(&mut self, memory: &mut Memory, kind: ObjectKind, found: bool) -> Result<u64, HelperError> {
        if !found {
            return Ok(0);
        }
        let region = match self.singletons.get(&kind) {
            Some(&region) => region,
            None => {
                let region = self.make(memory, kind, 0)?;
                self.singletons.insert(kind, region);
                region
            }
        };
        if let Some(object) = self.objects.get_mut(&region) {
            object.references += 1;
        }
        Ok(region_base(region))
    }

    /// The long-lived object of `kind`, without a reference: what the kernel hands out as a
    /// trusted pointer the program does not own (the current task, the program's kernel
    /// context, a read-only cast).
    pub(super) fn borrowed(&mut self, memory: &mut Memory, kind: ObjectKind) -> Result<u64, HelperError> {
        Ok(self.lend(memory, kind)?)
    }

    /// As [`KernelObjects::borrowed`], for the objects a context points to (an iterator's
    /// `seq_file`), made before the run.
    pub(crate) fn lend(&mut self, memory: &mut Memory, kind: ObjectKind) -> Result<u64, MemoryError> {
        let region = match self.singletons.get(&kind) {
            Some(&region) => region,
            None => {
                let region = self.make(memory, kind, 0)?;
                self.singletons.insert(kind, region);
                region
            }
        };
        Ok(region_base(region))
    }

    /// `bpf_get_task_exe_file(task)`: a new reference to the live task's executable file,
    /// or NULL when no memory is left.
    fn task_exe_file(&mut self, memory: &mut Memory, task: u64) -> Result<u64, HelperError> {
        self.object(task, ObjectKind::Task, 1)?;
        match self.make(memory, ObjectKind::File, 1) {
            Ok(region) => Ok(region_base(region)),
            // No memory left: the kernel's allocation fails.
            Err(_) => Ok(0),
        }
    }

    /// `bpf_lookup_*_key`: when `found`, a new `bpf_key` with one reference, which
    /// `bpf_key_put` frees; else (or when no memory is left) NULL.
    fn key_lookup(&mut self, memory: &mut Memory, found: bool) -> Result<u64, HelperError> {
        if !found {
            return Ok(0);
        }
        match self.make(memory, ObjectKind::Key, 1) {
            Ok(region) => Ok(region_base(region)),
            // No memory left: the kernel's allocation fails.
            Err(_) => Ok(0),
        }
    }

    /// `bpf_cast_to_kern_ctx(ctx)`: the kernel's structure behind the program's context.
    fn kernel_context(&mut self, memory: &mut Memory, ctx: u64) -> Result<u64, HelperError> {
        let is_context = matches!(memory.locate(ctx), Some((region, 0))
            if matches!(memory.region(region).map(|r| r.kind()), Some(RegionKind::Context)));
        if !is_context {
            return Err(invalid(1, ctx, "not the context"));
        }
        self.borrowed(memory, ObjectKind::KernelContext)
    }

    /// Whether a live object of `kind` starts at `address`.
    pub(super) fn is_live(&self, address: u64, kind: ObjectKind) -> bool {
        self.objects.iter().any(|(region, object)| region_base(*region) == address && object.kind == kind)
    }

    /// The live object of `kind` at `address` (argument `register`).
    fn object(&mut self, address: u64, kind: ObjectKind, register: u8) -> Result<(RegionId, &mut Object), HelperError> {
        match self.objects.iter_mut().find(|(region, _)| region_base(**region) == address) {
            Some((region, object)) if object.kind == kind => Ok((*region, object)),
            _ => Err(invalid(register, address, "not a live kernel object of the expected type")),
        }
    }

    /// `*_acquire(p)`: one more reference to the live object `p`.
    fn acquire(&mut self, address: u64, kind: ObjectKind) -> Result<u64, HelperError> {
        let (_, object) = self.object(address, kind, 1)?;
        object.references += 1;
        Ok(address)
    }

    /// `*_release(p)`: gives back a reference; a CPU mask or a file is freed with its last
    /// one, and its memory becomes inaccessible.
    fn release(&mut self, memory: &mut Memory, address: u64, kind: ObjectKind) -> Result<u64, HelperError> {
        let (region, object) = self.object(address, kind, 1)?;
        if object.references == 0 {
            return Err(invalid(1, address, "no reference to it is held"));
        }
        object.references -= 1;
        if object.references == 0 && matches!(kind, ObjectKind::Cpumask | ObjectKind::File | ObjectKind::Key) {
            self.objects.remove(&region);
            memory.set_access(region, Access::None);
        }
        Ok(0)
    }

    /// `bpf_cpumask_create()`: an empty mask with one reference, or NULL when no memory is
    /// left.
    fn cpumask_create(&mut self, memory: &mut Memory) -> Result<u64, HelperError> {
        match self.make(memory, ObjectKind::Cpumask, 1) {
            Ok(region) => Ok(region_base(region)),
            // No memory left: the kernel's allocation fails.
            Err(_) => Ok(0),
        }
    }

    /// The bits of the live mask at `address` (argument `register`).
    fn mask(&mut self, address: u64, register: u8) -> Result<u64, HelperError> {
        Ok(self.object(address, ObjectKind::Cpumask, register)?.1.bits)
    }

    /// Replaces the bits of the mask at `address` by the first of `f(bits)`; returns the
    /// second.
    fn mask_op(&mut self, address: u64, f: impl Fn(u64) -> (u64, u64)) -> Result<u64, HelperError> {
        let (_, object) = self.object(address, ObjectKind::Cpumask, 1)?;
        let (bits, result) = f(object.bits);
        object.bits = bits;
        Ok(result)
    }

    /// `bpf_cpumask_*_cpu(cpu, mask)`: `f(bits, bit of cpu)`; a CPU the machine lacks
    /// changes nothing and tests false.
    fn cpu_op(&mut self, args: [u64; 5], f: impl Fn(u64, u64) -> (u64, u64)) -> Result<u64, HelperError> {
        let cpu = args[0] as u32;
        let (_, object) = self.object(args[1], ObjectKind::Cpumask, 2)?;
        if cpu >= CPUS {
            return Ok(0);
        }
        let (bits, result) = f(object.bits, 1 << cpu);
        object.bits = bits;
        Ok(result)
    }

    /// `bpf_cpumask_{and,or,xor}(dst, src1, src2)`: `dst = f(src1, src2)`, returned.
    fn combine(&mut self, args: [u64; 5], f: impl Fn(u64, u64) -> u64) -> Result<u64, HelperError> {
        let result = f(self.mask(args[1], 2)?, self.mask(args[2], 3)?);
        self.mask_op(args[0], |_| (result, 0))?;
        Ok(result)
    }

    /// Starts an iterator of `kind` with `items` in the `kind.size()` stack bytes at `it`.
    fn start(&mut self, memory: &mut Memory, it: u64, kind: IterKind, items: Vec<i32>) -> Result<(), HelperError> {
        if !matches!(memory.locate(it), Some((region, _)) if is_stack(memory, region)) {
            return Err(invalid(1, it, "the iterator is not on the stack"));
        }
        if self.iterators.contains_key(&it) {
            return Err(invalid(1, it, "the iterator is already initialised"));
        }
        memory.write_in_place(it, kind.size() as usize)?.fill(0);
        self.iterators.insert(it, Iterator { kind, items: items.into() });
        Ok(())
    }

    /// `bpf_iter_num_new(it, start, end)`: the numbers of `[start, end)`; an empty
    /// iterator and an error when the range is reversed or longer than `BPF_MAX_LOOPS`.
    fn iter_num_new(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        let (start, end) = (i64::from(args[1] as i32), i64::from(args[2] as i32));
        let (items, result) = if start > end {
            (Vec::new(), errno_u32(errno::EINVAL))
        } else if end - start > MAX_LOOPS {
            (Vec::new(), errno_u32(errno::E2BIG))
        } else {
            ((start..end).map(|n| n as i32).collect(), 0)
        };
        self.start(memory, args[0], IterKind::Num, items)?;
        Ok(result)
    }

    /// `bpf_iter_bits_new(it, words, nr_words)`: the indices of the set bits of a copy of
    /// `nr_words` 64-bit words; an empty iterator and an error when there are none, too
    /// many, or they cannot be read.
    fn iter_bits_new(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        let (words, count) = (args[1], u64::from(args[2] as u32));
        let (items, result) = if words == 0 || count == 0 {
            (Vec::new(), errno_u32(errno::EINVAL))
        } else if count > BITS_MAX_WORDS {
            (Vec::new(), errno_u32(errno::E2BIG))
        } else {
            match memory.read(words, (count * 8) as usize) {
                Ok(bytes) => {
                    let set = bytes.chunks_exact(8).enumerate().flat_map(|(w, chunk)| {
                        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                        (0..64).filter(move |b| word >> b & 1 == 1).map(move |b| (w * 64 + b) as i32)
                    });
                    (set.collect(), 0)
                }
                Err(_) => (Vec::new(), errno_u32(errno::EFAULT)),
            }
        };
        self.start(memory, args[0], IterKind::Bits, items)?;
        Ok(result)
    }

    /// `bpf_iter_*_next(it)`: the address of the next item, written into the iterator's
    /// first four bytes, or NULL at the end.
    fn iter_next(&mut self, memory: &mut Memory, it: u64, kind: IterKind) -> Result<u64, HelperError> {
        let Some(iterator) = self.iterators.get_mut(&it).filter(|i| i.kind == kind) else {
            return Err(invalid(1, it, "not an initialised iterator of this kind"));
        };
        match iterator.items.pop_front() {
            Some(item) => {
                memory.write(it, &item.to_le_bytes())?;
                Ok(it)
            }
            None => Ok(0),
        }
    }

    /// `bpf_iter_*_destroy(it)`: ends the iterator.
    fn iter_destroy(&mut self, it: u64, kind: IterKind) -> Result<u64, HelperError> {
        match self.iterators.get(&it) {
            Some(iterator) if iterator.kind == kind => {
                self.iterators.remove(&it);
                Ok(0)
            }
            _ => Err(invalid(1, it, "not an initialised iterator of this kind")),
        }
    }
}

fn is_stack(memory: &Memory, region: RegionId) -> bool {
    matches!(memory.region(region).map(|r| r.kind()), Some(RegionKind::Stack { .. }))
}

/// A `struct bpf_dynptr` as the kernel lays it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dynptr {
    data: u64,
    size_word: u32,
    offset: u32,
}

impl Dynptr {
    /// The dynptr in the 16 stack bytes at `address`.
    fn read(memory: &Memory, address: u64) -> Result<Dynptr, HelperError> {
        if !matches!(memory.locate(address), Some((region, _)) if is_stack(memory, region)) {
            return Err(invalid(1, address, "the dynptr is not on the stack"));
        }
        let bytes = memory.read(address, 16)?;
        let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or([0; 4]));
        let data = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
        Ok(Dynptr { data, size_word: word(8), offset: word(12) })
    }

    /// Writes the dynptr into the 16 stack bytes at `address`.
    fn write(self, memory: &mut Memory, address: u64, register: u8) -> Result<(), HelperError> {
        if !matches!(memory.locate(address), Some((region, _)) if is_stack(memory, region)) {
            return Err(invalid(register, address, "the dynptr is not on the stack"));
        }
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.data.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.size_word.to_le_bytes());
        bytes[12..].copy_from_slice(&self.offset.to_le_bytes());
        memory.write(address, &bytes)?;
        Ok(())
    }

    const NULL: Dynptr = Dynptr { data: 0, size_word: 0, offset: 0 };

    fn size(self) -> u32 {
        self.size_word & DYNPTR_SIZE_MASK
    }

    fn rdonly(self) -> bool {
        self.size_word & DYNPTR_RDONLY != 0
    }
}

/// `bpf_dynptr_from_{skb,xdp}(ctx, flags, ptr)`: a dynptr over the run's packet, read-only
/// where the program type may not write packets; a NULL dynptr and `-EINVAL` for flags.
fn dynptr_from_packet(
    memory: &mut Memory,
    args: [u64; 5],
    program_type: ProgramType,
    kind: u32,
) -> Result<u64, HelperError> {
    let packet = super::skb::packet_of(memory, args[0], 1)?;
    if args[1] != 0 {
        Dynptr::NULL.write(memory, args[2], 3)?;
        return Ok(errno_u32(errno::EINVAL));
    }
    let len = memory.region(packet).map_or(0, |r| r.bytes().len()) as u32;
    let rdonly = if program_type.direct_packet_access() { 0 } else { DYNPTR_RDONLY };
    let dynptr = Dynptr {
        data: region_base(packet),
        size_word: (len & DYNPTR_SIZE_MASK) | kind << DYNPTR_TYPE_SHIFT | rdonly,
        offset: 0,
    };
    dynptr.write(memory, args[2], 3)?;
    Ok(0)
}

/// `bpf_dynptr_slice{,_rdwr}(ptr, offset, buffer, size)`: the address of `size` bytes at
/// `offset` of the dynptr's memory, or NULL when they are not all inside (or, for a
/// writable slice, the dynptr is read-only). The buffer, when given, must be writable.
fn dynptr_slice(memory: &mut Memory, args: [u64; 5], writable: bool) -> Result<u64, HelperError> {
    let dynptr = Dynptr::read(memory, args[0])?;
    let (offset, buffer, size) = (args[1] as u32, args[2], args[3] as u32);
    if buffer != 0 {
        memory.write_in_place(buffer, size as usize)?;
    }
    if dynptr.data == 0 || (writable && dynptr.rdonly()) {
        return Ok(0);
    }
    let inside = offset.checked_add(size).is_some_and(|end| end <= dynptr.size());
    if !inside {
        return Ok(0);
    }
    Ok(dynptr.data.wrapping_add(u64::from(dynptr.offset)).wrapping_add(u64::from(offset)))
}

/// `bpf_dynptr_adjust(ptr, start, end)`: narrows the dynptr to `[start, end)`.
fn dynptr_adjust(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let mut dynptr = Dynptr::read(memory, args[0])?;
    let (start, end) = (args[1] as u32, args[2] as u32);
    if dynptr.data == 0 || start > end {
        return Ok(errno_u32(errno::EINVAL));
    }
    if start > dynptr.size() || end > dynptr.size() {
        return Ok(errno_u32(ERANGE));
    }
    dynptr.offset = dynptr.offset.wrapping_add(start);
    dynptr.size_word = (dynptr.size_word & !DYNPTR_SIZE_MASK) | (end - start);
    dynptr.write(memory, args[0], 1)?;
    Ok(0)
}

/// `bpf_dynptr_size(ptr)`: its size, or `-EINVAL` (as a `u32`) when NULL.
fn dynptr_size(memory: &Memory, address: u64) -> Result<u64, HelperError> {
    let dynptr = Dynptr::read(memory, address)?;
    Ok(if dynptr.data == 0 { errno_u32(errno::EINVAL) } else { u64::from(dynptr.size()) })
}

/// `bpf_dynptr_clone(ptr, clone)`: copies the dynptr (a NULL one and `-EINVAL` when NULL).
fn dynptr_clone(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let dynptr = Dynptr::read(memory, args[0])?;
    if dynptr.data == 0 {
        Dynptr::NULL.write(memory, args[1], 2)?;
        return Ok(errno_u32(errno::EINVAL));
    }
    dynptr.write(memory, args[1], 2)?;
    Ok(0)
}

/// `bpf_res_spin_lock(lock)`: takes the lock word; the one CPU already holding it would
/// deadlock, which the kernel detects (`-EDEADLK`).
fn res_spin_lock(memory: &mut Memory, lock: u64) -> Result<u64, HelperError> {
    let word = memory.load(lock, crate::isa::Size::W)?;
    if word != 0 {
        return Ok(errno_u32(EDEADLK));
    }
    memory.store(lock, crate::isa::Size::W, 1)?;
    Ok(0)
}

/// `bpf_res_spin_unlock(lock)`: releases a lock the program holds.
fn res_spin_unlock(memory: &mut Memory, lock: u64) -> Result<u64, HelperError> {
    if memory.load(lock, crate::isa::Size::W)? == 0 {
        return Err(invalid(1, lock, "the lock is not held"));
    }
    memory.store(lock, crate::isa::Size::W, 0)?;
    Ok(0)
}

/// Runs the C library function `builtin` on `r1`–`r3`: `memset`, `memcpy` and `memmove`
/// return `dst`; `memcmp` returns -1, 0 or 1 as the first differing byte (unsigned) is
/// smaller, absent or greater. Every byte read must be readable (and, on the stack,
/// written before), every byte written writable. `memcpy` of overlapping areas copies as
/// `memmove` does (C leaves it undefined; no memory outside the areas is touched).
pub(super) fn run_builtin(builtin: Builtin, args: [u64; 5], memory: &mut Memory) -> Result<u64, HelperError> {
    let len = args[2] as usize;
    if len == 0 {
        return Ok(if builtin == Builtin::Memcmp { 0 } else { args[0] });
    }
    match builtin {
        Builtin::Memset => {
            memory.write_in_place(args[0], len)?.fill(args[1] as u8);
            Ok(args[0])
        }
        Builtin::Memcpy | Builtin::Memmove => {
            let bytes = memory.read(args[1], len)?.to_vec();
            memory.write(args[0], &bytes)?;
            Ok(args[0])
        }
        Builtin::Memcmp => {
            let a = memory.read(args[0], len)?.to_vec();
            let b = memory.read(args[1], len)?;
            Ok(match a.as_slice().cmp(b) {
                std::cmp::Ordering::Less => u64::MAX,
                std::cmp::Ordering::Equal => 0,
                std::cmp::Ordering::Greater => 1,
            })
        }
    }
}

/// The run's arena if `handle` is its map's handle; `None` for another map, as Linux's
/// arena kfuncs do nothing for a map of another type.
fn arena_of(memory: &mut Memory, handle: u64) -> Result<Option<&mut Arena>, HelperError> {
    if map_of_handle(handle).is_none() {
        return Err(HelperError::InvalidArgument { register: 1, value: handle, reason: "not a map" });
    }
    Ok(memory.arena_mut().filter(|arena| arena.handle() == handle))
}

/// `void *bpf_arena_alloc_pages(void *map, void *addr, u32 page_cnt, int node_id, u64 flags)`.
fn arena_alloc_pages(memory: &mut Memory, a: [u64; 5]) -> Result<u64, HelperError> {
    match arena_of(memory, a[0])? {
        Some(arena) => arena.alloc(a[1], a[2] as u32, a[3] as u32 as i32, a[4]),
        None => Ok(0),
    }
}

/// `void bpf_arena_free_pages(void *map, void *ptr, u32 page_cnt)`.
fn arena_free_pages(memory: &mut Memory, a: [u64; 5]) -> Result<u64, HelperError> {
    if let Some(arena) = arena_of(memory, a[0])? {
        arena.free(a[1], a[2] as u32);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::super::{KernelHelpers, MapTable};
    use super::*;
    use crate::asm;
    use crate::interp::maps::tests::object;
    use crate::interp::{CallxModel, Machine, Outcome, RunConfig, Trap};
    use crate::model::kfuncs::KFUNCS as MODEL;

    #[test]
    fn every_kfunc_of_the_model_has_a_body_and_every_body_a_model() {
        for kfunc in MODEL {
            assert!(KFUNCS.iter().any(|k| k.0 == kfunc.name), "kfunc {} has no interpreter model", kfunc.name);
        }
        for (name, _) in KFUNCS {
            assert!(MODEL.iter().any(|k| k.name == *name), "kfunc {name} is run but not in the model");
        }
    }

    /// Runs `text` as a tc program with `call kfunc N` standing for `names[N - 1]`.
    fn run(text: &str, names: &[&str]) -> Result<Outcome, Trap> {
        let program = asm::llvm::parse(text).expect("valid program");
        let machine = Machine::new(&program, RunConfig::new(CallxModel::Address, 10_000));
        let mut memory = machine.new_memory()?;
        let object = object("tc", vec![], program.clone());
        let table = MapTable::install(&object, &object.programs[0], &mut memory).expect("no maps");
        let kfuncs = (1..).zip(names.iter().map(|n| n.to_string())).collect();
        let mut helpers = KernelHelpers::new(table, ProgramType::SchedCls).with_kfuncs(kfuncs);
        machine.run(&mut memory, &[], &mut helpers)
    }

    const ITER: &[&str] = &["bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy"];

    #[test]
    fn number_iterators_count_and_must_be_initialised() {
        // Sum of 2..6 through the item pointer, then destroy.
        let sum = "r6 = 0\n r1 = r10\n r1 += -8\n r2 = 2\n r3 = 6\n call kfunc 0x1\n\
                   loop:\n r1 = r10\n r1 += -8\n call kfunc 0x2\n if r0 == 0 goto done\n\
                   r1 = *(u32 *)(r0 + 0)\n r6 += r1\n goto loop\n\
                   done:\n r1 = r10\n r1 += -8\n call kfunc 0x3\n r0 = r6\n exit";
        assert_eq!(run(sum, ITER).expect("runs").r0, 2 + 3 + 4 + 5);
        // A reversed range: an error and an empty iterator.
        let reversed = "r1 = r10\n r1 += -8\n r2 = 3\n r3 = 1\n call kfunc 0x1\n r6 = r0\n\
                        r1 = r10\n r1 += -8\n call kfunc 0x2\n r6 += r0\n r1 = r10\n r1 += -8\n\
                        call kfunc 0x3\n r0 = r6\n exit";
        assert_eq!(run(reversed, ITER).expect("runs").r0, u64::from(-22i32 as u32));
        let uninitialised = "r1 = r10\n r1 += -8\n call kfunc 0x2\n exit";
        assert!(run(uninitialised, ITER).is_err());
        let after_destroy = "r1 = r10\n r1 += -8\n r2 = 0\n r3 = 1\n call kfunc 0x1\n r1 = r10\n\
                             r1 += -8\n call kfunc 0x3\n r1 = r10\n r1 += -8\n call kfunc 0x2\n exit";
        assert!(run(after_destroy, ITER).is_err());
        let twice = "r1 = r10\n r1 += -8\n r2 = 0\n r3 = 1\n call kfunc 0x1\n r1 = r10\n r1 += -8\n\
                     r2 = 0\n r3 = 1\n call kfunc 0x1\n exit";
        assert!(run(twice, ITER).is_err());
    }

    #[test]
    fn references_are_counted_and_released_once() {
        let names = &["bpf_task_from_pid", "bpf_task_release", "bpf_task_acquire"];
        let pid = TASK_PID;
        let good = format!(
            "r1 = {pid}\n call kfunc 0x1\n if r0 == 0 goto out\n r6 = r0\n r1 = r0\n call kfunc 0x3\n\
             r1 = r0\n call kfunc 0x2\n r1 = r6\n call kfunc 0x2\n out:\n r0 = 0\n exit"
        );
        assert_eq!(run(&good, names).expect("runs").r0, 0);
        let missing = "r1 = 1\n call kfunc 0x1\n exit";
        assert_eq!(run(missing, names).expect("runs").r0, 0);
        let twice = format!(
            "r1 = {pid}\n call kfunc 0x1\n r6 = r0\n r1 = r0\n call kfunc 0x2\n r1 = r6\n call kfunc 0x2\n exit"
        );
        assert!(run(&twice, names).is_err());
    }

    #[test]
    fn cpumasks_hold_bits_until_their_last_reference_goes() {
        let mut objects = KernelObjects::default();
        let mut memory = Memory::new();
        let mask = objects.cpumask_create(&mut memory).expect("memory");
        assert_ne!(mask, 0);
        let args = |a: u64, b: u64| [a, b, 0, 0, 0];
        assert_eq!(objects.cpu_op(args(1, mask), |m, b| (m | b, 0)), Ok(0));
        assert_eq!(objects.cpu_op(args(9, mask), |m, b| (m | b, 0)), Ok(0));
        assert_eq!(objects.mask(mask, 1), Ok(0b10));
        assert_eq!(objects.acquire(mask, ObjectKind::Cpumask), Ok(mask));
        assert_eq!(objects.release(&mut memory, mask, ObjectKind::Cpumask), Ok(0));
        assert_eq!(objects.mask(mask, 1), Ok(0b10));
        assert!(memory.load(mask + 8, crate::isa::Size::DW).is_ok(), "readable while referenced");
        assert_eq!(objects.release(&mut memory, mask, ObjectKind::Cpumask), Ok(0));
        assert!(objects.mask(mask, 1).is_err(), "freed with its last reference");
        assert!(memory.load(mask + 8, crate::isa::Size::DW).is_err(), "unreadable once freed");
        assert!(objects.release(&mut memory, mask, ObjectKind::Cpumask).is_err());
        assert!(objects.acquire(mask, ObjectKind::Task).is_err());
    }

    #[test]
    fn the_lent_task_is_readable_within_its_window_and_never_writable() {
        let mut objects = KernelObjects::default();
        let mut memory = Memory::new();
        let task = objects.borrowed(&mut memory, ObjectKind::Task).expect("memory");
        assert_eq!(objects.borrowed(&mut memory, ObjectKind::Task), Ok(task), "one current task");
        let window = u64::from(ObjectKind::Task.probe_bytes());
        assert!(memory.load(task + window - 8, crate::isa::Size::DW).is_ok());
        assert!(memory.load(task + window - 4, crate::isa::Size::DW).is_err(), "past the window");
        assert!(memory.store(task + 16, crate::isa::Size::W, 1).is_err(), "read-only");
        // Lent, not referenced: releasing it fails; a reference taken on it can be given back.
        assert!(objects.release(&mut memory, task, ObjectKind::Task).is_err());
        assert_eq!(objects.acquire(task, ObjectKind::Task), Ok(task));
        assert_eq!(objects.release(&mut memory, task, ObjectKind::Task), Ok(0));
        // Its executable file is a new reference, freed when put back.
        let file = objects.task_exe_file(&mut memory, task).expect("memory");
        assert!(objects.task_exe_file(&mut memory, file).is_err(), "a file is no task");
        assert_eq!(objects.release(&mut memory, file, ObjectKind::File), Ok(0));
        assert!(memory.load(file, crate::isa::Size::DW).is_err(), "put back");
        assert!(objects.release(&mut memory, file, ObjectKind::File).is_err());
    }

    #[test]
    fn dynptr_slices_stay_inside_the_dynptrs_memory() {
        let mut memory = Memory::new();
        let stack = memory.add_region(RegionKind::Stack { frame: 0 }, vec![0; 64], Access::ReadWrite).expect("room");
        let data = memory.add_region(RegionKind::Other, vec![7; 10], Access::ReadWrite).expect("room");
        let (ptr, clone) = (region_base(stack), region_base(stack) + 16);
        let dynptr =
            Dynptr { data: region_base(data), size_word: 10 | DYNPTR_TYPE_SKB << DYNPTR_TYPE_SHIFT, offset: 0 };
        dynptr.write(&mut memory, ptr, 1).expect("on the stack");
        let slice =
            |memory: &mut Memory, at: u64, off: u64, len: u64| dynptr_slice(memory, [at, off, 0, len, 0], false);
        assert_eq!(slice(&mut memory, ptr, 2, 8), Ok(region_base(data) + 2));
        assert_eq!(slice(&mut memory, ptr, 3, 8), Ok(0), "past the end");
        assert_eq!(slice(&mut memory, ptr, u64::from(u32::MAX), 2), Ok(0), "wrapping offset");
        // Narrowed to [4, 6): offsets count from 4, two bytes remain; a clone keeps that.
        assert_eq!(dynptr_adjust(&mut memory, [ptr, 4, 6, 0, 0]), Ok(0));
        assert_eq!(dynptr_size(&memory, ptr), Ok(2));
        assert_eq!(dynptr_clone(&mut memory, [ptr, clone, 0, 0, 0]), Ok(0));
        assert_eq!(slice(&mut memory, clone, 0, 2), Ok(region_base(data) + 4));
        assert_eq!(slice(&mut memory, clone, 1, 2), Ok(0));
        assert_eq!(dynptr_adjust(&mut memory, [ptr, 1, 3, 0, 0]), Ok(errno_u32(ERANGE)));
        // A read-only dynptr gives no writable slice; a dynptr off the stack is refused.
        let rdonly = Dynptr { size_word: dynptr.size_word | DYNPTR_RDONLY, ..dynptr };
        rdonly.write(&mut memory, ptr, 1).expect("on the stack");
        assert_eq!(dynptr_slice(&mut memory, [ptr, 0, 0, 1, 0], true), Ok(0));
        assert!(Dynptr::read(&memory, region_base(data)).is_err());
    }

    #[test]
    fn builtins_have_their_c_meaning_within_bounds() {
        let names = &["memset", "memcpy", "memcmp", "memmove"];
        let text = "r1 = r10\n r1 += -16\n r2 = 7\n r3 = 8\n call kfunc 0x1\n\
                    r1 = r10\n r1 += -8\n r2 = r10\n r2 += -16\n r3 = 8\n call kfunc 0x2\n\
                    r1 = r10\n r1 += -8\n r2 = r10\n r2 += -16\n r3 = 8\n call kfunc 0x3\n r6 = r0\n\
                    *(u8 *)(r10 - 1) = 9\n r1 = r10\n r1 += -16\n r2 = r10\n r2 += -8\n r3 = 8\n call kfunc 0x3\n\
                    r6 <<= 8\n r6 += r0\n r0 = *(u64 *)(r10 - 16)\n r0 += r6\n exit";
        let outcome = run(text, names).expect("runs");
        assert_eq!(outcome.r0, 0x0707_0707_0707_0707u64.wrapping_add(u64::MAX));
        // Past the stack, and reading bytes never written.
        assert!(run("r1 = r10\n r1 += -4\n r2 = 0\n r3 = 8\n call kfunc 0x1\n exit", names).is_err());
        let uninit = "r1 = r10\n r1 += -8\n r2 = r10\n r2 += -16\n r3 = 8\n call kfunc 0x2\n exit";
        assert!(run(uninit, names).is_err());
    }
}
