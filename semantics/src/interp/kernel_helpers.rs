//! Linux's helper functions, by their stable numbers (`enum bpf_func_id`), and a few of its
//! kfuncs, by name, for running programs loaded from ELF objects: [`KernelHelpers`].
//!
//! Kfunc calls carry BTF ids, which depend on the running kernel; the ELF loader gives each
//! extern a program-local id ([`crate::elf::LoadedProgram::kfuncs`]) and a run passes that
//! table to [`KernelHelpers::with_kfuncs`]. A call then runs the kfunc of that name from
//! this module's table ([`kfunc_implemented`]); a name the table lacks traps
//! ([`super::TrapKind::UnknownKfunc`]).
//!
//! This set is separate from [`super::DefaultHelpers`] because the numbers clash: helper 5
//! is `ktime_get_ns` in Linux and "unwind" in bpf_conformance. A run chooses one set.
//!
//! The environment is fixed so that runs are reproducible: the current task is
//! [`TASK_PID`]/[`TASK_UID`] named [`TASK_COMM`] on CPU 0, the clock starts at
//! [`CLOCK_START_NS`] and advances [`CLOCK_STEP_NS`] per reading, and `get_prandom_u32` is a
//! seeded xorshift generator.
//!
//! Pointer arguments that the kernel's verifier checks (map keys and values, buffers the
//! helper writes, data it sends) must be accessible: otherwise the helper faults and the
//! run traps. The pointer a `probe_read*` helper reads from is not checked by the verifier:
//! when it is not readable the helper zeroes its buffer and returns `-EFAULT`, as in Linux.
//! What programs send to ring buffers, perf event arrays, `trace_printk` and an iterator's
//! `seq_file` (`seq_write`, `seq_printf`) is recorded as [`Output`]s.

use super::availability::{self, Availability};
use super::context::ProgramType;
use std::collections::BTreeMap;

use super::helpers::{CodeRunner, HelperError, HelperResult, Helpers, KfuncError, NoCode};
use super::maps::{MapKind, MapTable, errno};
use super::memory::{Memory, MemoryError, region_base};
use super::printk;

mod generic;
mod kfuncs;
mod skb;
mod sockets;
mod strings;
use crate::elf::MapId;
use crate::interp::memory::RegionId;
use crate::model::helpers as model;
use crate::model::kfuncs::ObjectKind;
use crate::model::maps::MapType;
use kfuncs::KFUNCS;
pub use kfuncs::{CPUS, KernelObjects};

/// The current task's process id (and thread-group id).
pub const TASK_PID: u32 = 4242;
/// The current task's user id (and group id).
pub const TASK_UID: u32 = 1000;
/// The current task's name.
pub const TASK_COMM: &[u8] = b"bpfprove";
/// The first clock reading, in nanoseconds.
pub const CLOCK_START_NS: u64 = 1_000_000_000;
/// How far the clock advances per reading.
pub const CLOCK_STEP_NS: u64 = 1_000_000;
/// The first state of `get_prandom_u32`'s generator.
const PRANDOM_SEED: u32 = 0x2545_f491;
/// The current task's `task_struct` address (`get_current_task`): a kernel address no
/// region holds.
pub const TASK_ADDRESS: u64 = 0xffff_8880_0424_2000;
/// The current task's cgroup id (the root cgroup's).
pub const CGROUP_ID: u64 = 1;
/// The hash `get_hash_recalc` computes for every packet.
pub const SKB_HASH: u32 = 0x5eed_cafe;
/// Nanoseconds per jiffy (`HZ` = 250).
const NS_PER_JIFFY: u64 = 4_000_000;
/// The first state of the generator of generic helper models' arbitrary results.
const ARBITRARY_SEED: u64 = 0x6270_6670_726f_7665;
/// Most tail calls one run of a program makes (Linux's `MAX_TAIL_CALL_CNT`); the next one
/// falls through.
pub const MAX_TAIL_CALLS: u32 = 33;
/// Most iterations `bpf_loop` accepts (Linux's `BPF_MAX_LOOPS`).
const MAX_LOOPS: u64 = 1 << 23;

/// Something a program sent out of the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A ring-buffer record (`ringbuf_output`, or `ringbuf_reserve` + `ringbuf_submit`).
    RingBuffer {
        /// The ring buffer.
        map: MapId,
        /// The record.
        bytes: Vec<u8>,
    },
    /// A `perf_event_output` sample.
    PerfEvent {
        /// The perf event array.
        map: MapId,
        /// The sample.
        bytes: Vec<u8>,
    },
    /// A `trace_printk` line.
    TracePrintk(String),
    /// Bytes an iterator wrote to its `seq_file` (`seq_write`).
    SeqFile(Vec<u8>),
}

/// A helper's body: the helper set, `r1`–`r5`, the memory, and a way to run callbacks.
type HelperFn = fn(&mut KernelHelpers, [u64; 5], &mut Memory, &mut dyn CodeRunner) -> Result<u64, HelperError>;

/// The helpers whose effect lies in the model's memory or environment: number, name, body.
/// One per line. Every other helper of the kernel model (`model::helpers`) runs its
/// prototype's generic model (`generic`).
const HELPERS: &[(i32, &str, HelperFn)] = &[
    (1, "map_lookup_elem", |h, a, m, _| h.map_lookup(m, a)),
    (2, "map_update_elem", |h, a, m, _| h.map_update(m, a)),
    (3, "map_delete_elem", |h, a, m, _| h.map_delete(m, a)),
    (4, "probe_read", |_, a, m, _| probe_read(m, a)),
    (5, "ktime_get_ns", |h, _, _, _| Ok(h.clock())),
    (6, "trace_printk", |h, a, m, _| h.trace_printk(m, a)),
    (126, "seq_printf", |h, a, m, _| h.seq_printf(m, a)),
    (127, "seq_write", |h, a, m, _| h.seq_write(m, a)),
    (7, "get_prandom_u32", |h, _, _, _| Ok(u64::from(h.prandom()))),
    (8, "get_smp_processor_id", |_, _, _, _| Ok(0)),
    (9, "skb_store_bytes", |_, a, m, _| skb::store_bytes(m, a)),
    (10, "l3_csum_replace", |_, a, m, _| skb::csum_replace(m, a, skb::Layer::L3)),
    (11, "l4_csum_replace", |_, a, m, _| skb::csum_replace(m, a, skb::Layer::L4)),
    (12, "tail_call", |h, a, _, _| h.tail_call(a)),
    // No network device exists to clone to.
    (13, "clone_redirect", |_, a, m, _| skb::clone_redirect(m, a)),
    (14, "get_current_pid_tgid", |_, _, _, _| Ok(u64::from(TASK_PID) << 32 | u64::from(TASK_PID))),
    (15, "get_current_uid_gid", |_, _, _, _| Ok(u64::from(TASK_UID) << 32 | u64::from(TASK_UID))),
    (16, "get_current_comm", |_, a, m, _| get_current_comm(m, a)),
    (17, "get_cgroup_classid", |_, a, m, _| skb::packet_of(m, a[0], 1).map(|_| 0)),
    (22, "perf_event_read", |h, a, _, _| h.perf_event_read(a)),
    (23, "redirect", |h, _, _, _| h.redirect()),
    (25, "perf_event_output", |h, a, m, _| h.perf_event_output(m, a)),
    (26, "skb_load_bytes", |_, a, m, _| skb_load_bytes(m, a)),
    (27, "get_stackid", |_, a, _, _| Ok(get_stackid(a))),
    (28, "csum_diff", |_, a, m, _| skb::csum_diff(m, a)),
    (34, "get_hash_recalc", |_, a, m, _| skb::packet_of(m, a[0], 1).map(|_| u64::from(SKB_HASH))),
    (35, "get_current_task", |_, _, _, _| Ok(TASK_ADDRESS)),
    (39, "skb_pull_data", |_, a, m, _| skb::pull_data(m, a)),
    (42, "get_numa_node_id", |_, _, _, _| Ok(0)),
    (44, "xdp_adjust_head", |_, a, m, _| skb::xdp_adjust(m, a, skb::XdpEdge::Head)),
    (45, "probe_read_str", |_, a, m, _| probe_read_str(m, a)),
    (51, "redirect_map", |_, a, _, _| Ok(redirect_map(a[2]))),
    (54, "xdp_adjust_meta", |_, a, m, _| skb::xdp_adjust(m, a, skb::XdpEdge::Meta)),
    (65, "xdp_adjust_tail", |_, a, m, _| skb::xdp_adjust(m, a, skb::XdpEdge::Tail)),
    (80, "get_current_cgroup_id", |_, _, _, _| Ok(CGROUP_ID)),
    (81, "get_local_storage", |h, a, _, _| h.maps.local_storage(a[0])),
    (84, "sk_lookup_tcp", |h, _, m, _| h.sk_lookup(m, sockets::Lookup::Tcp)),
    (85, "sk_lookup_udp", |h, _, m, _| h.sk_lookup(m, sockets::Lookup::Udp)),
    (86, "sk_release", |h, a, m, _| h.sk_release(m, a[0])),
    (87, "map_push_elem", |h, a, m, _| h.maps.push(m, a[0], a[1], a[2])),
    (88, "map_pop_elem", |h, a, m, _| h.maps.pop(m, a[0], a[1])),
    (89, "map_peek_elem", |h, a, m, _| h.maps.peek(m, a[0], a[1])),
    (93, "spin_lock", |h, a, m, _| h.spin_lock(m, a[0]).map(|()| 0)),
    (94, "spin_unlock", |h, a, _, _| h.spin_unlock(a[0]).map(|()| 0)),
    (95, "sk_fullsock", |h, a, m, _| h.sk_fullsock(m, a[0])),
    (96, "tcp_sock", |h, a, m, _| h.tcp_sock(m, a[0])),
    (98, "get_listener_sock", |h, a, m, _| h.get_listener_sock(m, a[0])),
    (99, "skc_lookup_tcp", |h, _, m, _| h.sk_lookup(m, sockets::Lookup::TcpCommon)),
    (105, "strtol", |_, a, m, _| strings::strtox(m, a, true)),
    (106, "strtoul", |_, a, m, _| strings::strtox(m, a, false)),
    (112, "probe_read_user", |_, a, m, _| probe_read(m, a)),
    (113, "probe_read_kernel", |_, a, m, _| probe_read(m, a)),
    (114, "probe_read_user_str", |_, a, m, _| probe_read_str(m, a)),
    (115, "probe_read_kernel_str", |_, a, m, _| probe_read_str(m, a)),
    (118, "jiffies64", |h, _, _, _| Ok(h.clock() / NS_PER_JIFFY)),
    (125, "ktime_get_boot_ns", |h, _, _, _| Ok(h.clock())),
    (130, "ringbuf_output", |h, a, m, _| h.ringbuf_output(m, a)),
    (131, "ringbuf_reserve", |h, a, m, _| h.maps.reserve(m, a[0], a[1], a[2])),
    (132, "ringbuf_submit", |h, a, m, _| h.ringbuf_commit(m, a[0], true)),
    (133, "ringbuf_discard", |h, a, m, _| h.ringbuf_commit(m, a[0], false)),
    (137, "skc_to_tcp_sock", |h, a, m, _| h.skc_to_tcp_sock(m, a[0])),
    (158, "get_current_task_btf", |h, _, m, _| h.kernel.borrowed(m, ObjectKind::Task)),
    (160, "ktime_get_coarse_ns", |h, _, _, _| Ok(h.clock())),
    (181, "loop", bpf_loop),
    (189, "xdp_load_bytes", |_, a, m, _| skb::xdp_copy(m, a, skb::Direction::Load)),
    (190, "xdp_store_bytes", |_, a, m, _| skb::xdp_copy(m, a, skb::Direction::Store)),
    (208, "ktime_get_tai_ns", |h, _, _, _| Ok(h.clock())),
];

/// `-error` as an `int` result, zero-extended.
fn errno_u32(error: u64) -> u64 {
    u64::from(errno::negative(error) as u32)
}

/// Whether a run implements the kfunc named `name`.
pub fn kfunc_implemented(name: &str) -> bool {
    KFUNCS.iter().any(|k| k.0 == name) || crate::model::kfuncs::builtin(name).is_some()
}

/// The name of helper `id` (without the `bpf_` prefix), if a run provides it: every helper
/// of the kernel model, faithfully or by its prototype.
pub fn helper_name(id: i32) -> Option<&'static str> {
    let faithful = HELPERS.iter().find(|h| h.0 == id).map(|h| h.1);
    faithful.or_else(|| model::helper(id).map(|h| h.name))
}

/// Whether helper `id` has a faithful model (its effect computed), not the generic one.
pub fn helper_is_faithful(id: i32) -> bool {
    HELPERS.iter().any(|h| h.0 == id)
}

/// Linux's helpers over the maps of one object (see the module docs).
#[derive(Clone, Debug)]
pub struct KernelHelpers {
    maps: MapTable,
    program_type: ProgramType,
    clock_ns: u64,
    prandom_state: u32,
    outputs: Vec<Output>,
    /// Kfunc names by the BTF id their calls use.
    kfuncs: BTreeMap<i32, String>,
    /// The state of the generator of arbitrary helper results and written bytes.
    arbitrary_state: u64,
    /// The opaque kernel objects (tasks, sockets, ...) helpers returned.
    kernel_objects: Vec<RegionId>,
    /// The kernel objects and iterators the kfuncs manage.
    kernel: KernelObjects,
    /// The address of the `bpf_spin_lock` the program holds.
    held_lock: Option<u64>,
    /// The sockets the socket helpers met.
    sockets: sockets::Sockets,
    /// Tail calls taken since [`KernelHelpers::start_run`].
    tail_calls: u32,
}

/// Most arguments `seq_printf` and `stream_vprintk` take (Linux's `MAX_BPRINTF_VARARGS`).
const MAX_PRINTF_ARGUMENTS: usize = 12;

/// `BPF_FUNC_spin_unlock`, the one helper a program may call while it holds a lock.
const SPIN_UNLOCK: i32 = 94;

impl KernelHelpers {
    /// `bpf_spin_lock(lock)`: `lock` must be the `struct bpf_spin_lock` of a live map value
    /// (that no lock is held, [`Helpers::call_with_code`] checked for every call). One
    /// program runs at a time, so taking it never waits.
    fn spin_lock(&mut self, memory: &Memory, lock: u64) -> Result<(), HelperError> {
        if !self.maps.is_spin_lock(memory, lock) {
            return Err(HelperError::InvalidArgument {
                register: 1,
                value: lock,
                reason: "not a map value's bpf_spin_lock",
            });
        }
        self.held_lock = Some(lock);
        Ok(())
    }

    /// `bpf_spin_unlock(lock)`: `lock` must be the lock held.
    fn spin_unlock(&mut self, lock: u64) -> Result<(), HelperError> {
        match self.held_lock {
            None => Err(HelperError::SpinLock("an unlock without a lock held")),
            Some(held) if held != lock => Err(HelperError::SpinLock("an unlock of a different lock")),
            Some(_) => {
                self.held_lock = None;
                Ok(())
            }
        }
    }

    /// Helpers for a `program_type` program over `maps`.
    pub fn new(maps: MapTable, program_type: ProgramType) -> KernelHelpers {
        KernelHelpers {
            maps,
            program_type,
            clock_ns: CLOCK_START_NS,
            prandom_state: PRANDOM_SEED,
            outputs: Vec::new(),
            kfuncs: BTreeMap::new(),
            arbitrary_state: ARBITRARY_SEED,
            kernel_objects: Vec::new(),
            kernel: KernelObjects::default(),
            held_lock: None,
            sockets: sockets::Sockets::default(),
            tail_calls: 0,
        }
    }

    /// These helpers, with the arbitrary results and bytes of generic helper models drawn
    /// from `seed`.
    pub fn with_seed(mut self, seed: u64) -> KernelHelpers {
        self.arbitrary_state = seed;
        self
    }

    /// These helpers, with kfunc calls of BTF id `id` (in BTF object 0) going to the kfunc
    /// named `kfuncs[id]`: for a program of an ELF object, its
    /// [`LoadedProgram::kfuncs`](crate::elf::LoadedProgram::kfuncs).
    pub fn with_kfuncs(mut self, kfuncs: BTreeMap<i32, String>) -> KernelHelpers {
        self.kfuncs = kfuncs;
        self
    }

    /// Starts a new run of a program (not a tail call): the tail-call count starts again.
    pub fn start_run(&mut self) {
        self.tail_calls = 0;
    }

    /// The long-lived kernel object of `kind` a context points to (an iterator's
    /// `seq_file`), which the helpers taking that kind take; no reference is held.
    pub fn lend_object(&mut self, memory: &mut Memory, kind: ObjectKind) -> Result<u64, MemoryError> {
        self.kernel.lend(memory, kind)
    }

    /// Replaces the kfunc table, for the program a tail call entered (ids are
    /// program-local).
    pub fn set_kfuncs(&mut self, kfuncs: BTreeMap<i32, String>) {
        self.kfuncs = kfuncs;
    }

    /// `bpf_tail_call(ctx, prog_array, index)`: when the slot holds a program and fewer
    /// than [`MAX_TAIL_CALLS`] were taken, ends this program with
    /// [`HelperError::TailCall`]; otherwise falls through, as the kernel does, with
    /// `-ENOENT` in `r0` (the verifier leaves `r0` unknown after the call).
    fn tail_call(&mut self, args: [u64; 5]) -> Result<u64, HelperError> {
        let target = self.maps.program_at(args[1], args[2])?;
        match target {
            Some(program) if self.tail_calls < MAX_TAIL_CALLS => {
                self.tail_calls += 1;
                Err(HelperError::TailCall { program, context: args[0] })
            }
            _ => Ok(errno::negative(errno::ENOENT)),
        }
    }

    /// Kfunc names by the BTF id their calls use.
    pub fn kfuncs(&self) -> &BTreeMap<i32, String> {
        &self.kfuncs
    }

    /// The maps.
    pub fn maps(&self) -> &MapTable {
        &self.maps
    }

    /// The maps, for changes from the host (see [`MapTable::insert`]).
    pub fn maps_mut(&mut self) -> &mut MapTable {
        &mut self.maps
    }

    /// Everything sent out so far, in order.
    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// Takes the outputs recorded so far.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.outputs)
    }

    fn clock(&mut self) -> u64 {
        let now = self.clock_ns;
        self.clock_ns += CLOCK_STEP_NS;
        now
    }

    /// An arbitrary 64-bit value (splitmix64 over the seed).
    fn arbitrary(&mut self) -> u64 {
        self.arbitrary_state = self.arbitrary_state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.arbitrary_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// An arbitrary value in `[lo, hi]`.
    fn arbitrary_in(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.wrapping_sub(lo) as u64;
        let offset = match span.checked_add(1) {
            Some(count) => self.arbitrary() % count,
            None => self.arbitrary(),
        };
        lo.wrapping_add(offset as i64)
    }

    /// Fills `bytes` arbitrarily.
    fn fill_arbitrary(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.arbitrary().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    fn prandom(&mut self) -> u32 {
        let mut x = self.prandom_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.prandom_state = x;
        x
    }

    fn trace_printk(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        match printk::format_at(memory, args[0], args[1], &[args[2], args[3], args[4]])? {
            Ok(text) => {
                let len = text.len() as u64;
                self.outputs.push(Output::TracePrintk(text));
                Ok(len)
            }
            Err(printk::BadFormat) => Ok(errno::negative(errno::EINVAL)),
        }
    }

    /// `bpf_seq_printf(seq, fmt, fmt_size, data, data_len)`: `data` holds the arguments, 8
    /// bytes each, at most [`MAX_PRINTF_ARGUMENTS`]; the text goes to the iterator's output.
    fn seq_printf(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        let data_len = args[4] as u32 as usize;
        if !data_len.is_multiple_of(8) || data_len > 8 * MAX_PRINTF_ARGUMENTS || (data_len > 0 && args[3] == 0) {
            return Ok(errno::negative(errno::EINVAL));
        }
        let data = if data_len == 0 { Vec::new() } else { memory.read(args[3], data_len)?.to_vec() };
        let values: Vec<u64> =
            data.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().expect("8-byte chunks"))).collect();
        match printk::format_at(memory, args[1], args[2], &values)? {
            Ok(text) => {
                self.outputs.push(Output::SeqFile(text.into_bytes()));
                Ok(0)
            }
            Err(printk::BadFormat) => Ok(errno::negative(errno::EINVAL)),
        }
    }

    /// `bpf_seq_write(seq, data, len)`: the bytes go to the iterator's output. The output
    /// buffer of a run never fills (the kernel returns `-EOVERFLOW` and repeats the element
    /// with a larger buffer).
    fn seq_write(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        let bytes = memory.read(args[1], args[2] as u32 as usize)?.to_vec();
        self.outputs.push(Output::SeqFile(bytes));
        Ok(0)
    }

    /// `bpf_map_lookup_elem`: socket maps give sockets (see [`sockets`]).
    fn map_lookup(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        match super::maps::map_of_handle(args[0]).and_then(|map| self.maps.kind(map)) {
            Some(MapKind::SocketMap) => self.sk_lookup(memory, sockets::Lookup::Map),
            Some(MapKind::XskMap) => self.xsk_lookup(memory),
            _ => self.maps.lookup(memory, args[0], args[1]),
        }
    }

    /// `bpf_map_update_elem`: a socket (checked with the arguments) goes into a socket
    /// map, or the map refuses it (a socket in a state it does not take), arbitrarily.
    fn map_update(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        match super::maps::map_of_handle(args[0]).and_then(|map| self.maps.kind(map)) {
            Some(MapKind::SocketMap) => {
                self.socket_map_change_allowed(args[0], "map_update_elem")?;
                if args[3] > 2 {
                    return Ok(errno::negative(errno::EINVAL));
                }
                Ok(if self.arbitrary().is_multiple_of(2) { 0 } else { errno::negative(errno::EOPNOTSUPP) })
            }
            _ => self.maps.update(memory, args[0], args[1], args[2], args[3]),
        }
    }

    /// Whether this program type may change the socket map `handle` with `helper`.
    fn socket_map_change_allowed(&self, handle: u64, helper: &str) -> Result<(), HelperError> {
        let map_type = super::maps::map_of_handle(handle).and_then(|map| self.maps.map_type(map));
        if map_type.is_some_and(|t| !t.allowed_from(self.program_type, helper)) {
            return Err(HelperError::InvalidArgument {
                register: 1,
                value: handle,
                reason: "this program type cannot change a socket map",
            });
        }
        Ok(())
    }

    /// `bpf_map_delete_elem`: a socket map's elements are the environment's, unknown to
    /// the run, so the key is there or not, arbitrarily.
    fn map_delete(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        match super::maps::map_of_handle(args[0]).and_then(|map| self.maps.kind(map)) {
            Some(MapKind::SocketMap) => {
                self.socket_map_change_allowed(args[0], "map_delete_elem")?;
                Ok(if self.arbitrary().is_multiple_of(2) { 0 } else { errno::negative(errno::ENOENT) })
            }
            _ => self.maps.delete(memory, args[0], args[1]),
        }
    }

    fn redirect(&self) -> Result<u64, HelperError> {
        match self.program_type {
            ProgramType::Xdp => Ok(4), // XDP_REDIRECT
            // Only tc programs reach here ([`availability`]): TC_ACT_REDIRECT.
            _ => Ok(7),
        }
    }

    /// `perf_event_read(map, flags)`: no perf event is open in this environment, so a
    /// valid index finds none (`-ENOENT`).
    fn perf_event_read(&self, args: [u64; 5]) -> Result<u64, HelperError> {
        self.maps.sink(args[0], 1, MapKind::PerfEventArray)?;
        // Only the index (BPF_F_INDEX_MASK, the low 32 bits) may be set.
        if args[1] >> 32 != 0 {
            return Ok(errno::negative(errno::EINVAL));
        }
        Ok(errno::negative(errno::ENOENT))
    }

    fn perf_event_output(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        let map = self.maps.sink(args[1], 2, MapKind::PerfEventArray)?;
        let bytes = memory.read(args[3], args[4] as usize)?.to_vec();
        // Only the CPU index (low 32 bits) may be set.
        if args[2] >> 32 != 0 {
            return Ok(errno::negative(errno::EINVAL));
        }
        self.outputs.push(Output::PerfEvent { map, bytes });
        Ok(0)
    }

    fn ringbuf_output(&mut self, memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
        let map = self.maps.sink(args[0], 1, MapKind::RingBuffer)?;
        let bytes = memory.read(args[1], args[2] as usize)?.to_vec();
        // BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP.
        if args[3] & !3 != 0 {
            return Ok(errno::negative(errno::EINVAL));
        }
        self.outputs.push(Output::RingBuffer { map, bytes });
        Ok(0)
    }

    /// The kernel's `check_map_func_compatibility`: the map argument's type must take
    /// this helper, and the helper that map type.
    fn check_map_compatibility(&self, helper: &model::Helper, args: [u64; 5]) -> Result<(), HelperError> {
        let Some(index) = helper.proto.args.iter().position(|a| a.ty == model::ArgType::ConstMapPtr) else {
            return Ok(());
        };
        let handle = args[index];
        let Some(map_type) = super::maps::map_of_handle(handle).and_then(|map| self.maps.map_type(map)) else {
            // Not a map: the argument check says so.
            return Ok(());
        };
        let from_map = map_type.allowed_helpers().is_none_or(|allowed| allowed.contains(&helper.name));
        let from_helper = MapType::required_by(helper.name).is_none_or(|required| required.contains(&map_type));
        match from_map && from_helper {
            true => Ok(()),
            false => Err(HelperError::InvalidArgument {
                register: index as u8 + 1,
                value: handle,
                reason: "a map type this helper does not take",
            }),
        }
    }

    fn ringbuf_commit(&mut self, memory: &mut Memory, record: u64, submit: bool) -> Result<u64, HelperError> {
        let (map, bytes) = self.maps.take_record(memory, record, 1)?;
        if submit {
            self.outputs.push(Output::RingBuffer { map, bytes });
        }
        Ok(0)
    }
}

impl Helpers for KernelHelpers {
    fn call(&mut self, id: i32, args: [u64; 5], memory: &mut Memory) -> Result<HelperResult, HelperError> {
        self.call_with_code(id, args, memory, &mut NoCode)
    }

    fn call_with_code(
        &mut self,
        id: i32,
        args: [u64; 5],
        memory: &mut Memory,
        code: &mut dyn CodeRunner,
    ) -> Result<HelperResult, HelperError> {
        match availability::helper_availability(id, self.program_type) {
            Availability::Available => {}
            Availability::NotForProgramType => {
                return Err(HelperError::NotAvailable { program_type: self.program_type });
            }
            Availability::Unknown => return Err(HelperError::Unknown),
        }
        let Some(helper) = model::helper(id) else { return Err(HelperError::Unknown) };
        if self.held_lock.is_some() && id != SPIN_UNLOCK {
            return Err(HelperError::SpinLock("a helper call while a lock is held"));
        }
        self.check_map_compatibility(helper, args)?;
        match HELPERS.iter().find(|h| h.0 == id) {
            Some(&(_, _, body)) => {
                // The kernel's verifier checked these arguments before any helper runs.
                generic::check_arguments(self, &helper.proto, args, memory, code)?;
                body(self, args, memory, code).map(HelperResult::Return)
            }
            None => generic::call(self, &helper.proto, args, memory, code).map(HelperResult::Return),
        }
    }

    fn call_kfunc(
        &mut self,
        btf_id: i32,
        btf_obj: i16,
        args: [u64; 5],
        memory: &mut Memory,
        code: &mut dyn CodeRunner,
    ) -> Result<u64, KfuncError> {
        let name = match self.kfuncs.get(&btf_id) {
            Some(name) if btf_obj == 0 => name,
            _ => return Err(KfuncError::NotProvided),
        };
        if let Some(builtin) = crate::model::kfuncs::builtin(name) {
            let failed = |error| KfuncError::Failed { name: name.clone(), error };
            return kfuncs::run_builtin(builtin, args, memory).map_err(failed);
        }
        let Some(&(name, body)) = KFUNCS.iter().find(|k| k.0 == name) else {
            return Err(KfuncError::Unknown { name: name.clone() });
        };
        if self.held_lock.is_some() {
            let error = HelperError::SpinLock("a kfunc call while a lock is held");
            return Err(KfuncError::Failed { name: name.to_owned(), error });
        }
        if availability::kfunc_availability(name, self.program_type) != Availability::Available {
            let error = HelperError::NotAvailable { program_type: self.program_type };
            return Err(KfuncError::Failed { name: name.to_owned(), error });
        }
        body(self, args, memory, code).map_err(|error| KfuncError::Failed { name: name.to_owned(), error })
    }

    fn spin_lock_held(&self) -> bool {
        self.held_lock.is_some()
    }
}

/// `probe_read*(dst, size, unsafe_ptr)`: copies `size` bytes, or zeroes `dst` and returns
/// `-EFAULT` when they are not all readable.
fn probe_read(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let (dst, size, src) = (args[0], args[1] as u32 as usize, args[2]);
    memory.write_in_place(dst, size)?;
    let source = memory.read(src, size).map(<[u8]>::to_vec);
    let buffer = memory.write_in_place(dst, size)?;
    match source {
        Ok(bytes) => {
            buffer.copy_from_slice(&bytes);
            Ok(0)
        }
        Err(_) => {
            buffer.fill(0);
            Ok(errno::negative(errno::EFAULT))
        }
    }
}

/// `probe_read*_str(dst, size, unsafe_ptr)`: copies a NUL-terminated string of at most
/// `size` bytes (NUL included, truncating) and returns its length with the NUL; zeroes
/// `dst` and returns `-EFAULT` when a byte before the end is not readable.
fn probe_read_str(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let (dst, size, src) = (args[0], args[1] as u32 as usize, args[2]);
    memory.write_in_place(dst, size)?;
    if size == 0 {
        return Ok(0);
    }
    let mut bytes = Vec::with_capacity(size.min(256));
    let mut readable = true;
    while bytes.len() + 1 < size {
        match memory.read(src.wrapping_add(bytes.len() as u64), 1) {
            Ok([0]) => break,
            Ok(&[byte]) => bytes.push(byte),
            _ => {
                readable = false;
                break;
            }
        }
    }
    let buffer = memory.write_in_place(dst, size)?;
    if !readable {
        buffer.fill(0);
        return Ok(errno::negative(errno::EFAULT));
    }
    buffer[..bytes.len()].copy_from_slice(&bytes);
    buffer[bytes.len()] = 0;
    Ok(bytes.len() as u64 + 1)
}

/// `get_current_comm(buf, size)`: the task name, NUL-padded to `size` (truncated to keep a
/// NUL).
fn get_current_comm(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let buffer = memory.write_in_place(args[0], args[1] as u32 as usize)?;
    buffer.fill(0);
    let len = TASK_COMM.len().min(buffer.len().saturating_sub(1));
    buffer[..len].copy_from_slice(&TASK_COMM[..len]);
    Ok(0)
}

/// `skb_load_bytes(skb, offset, to, len)`: copies packet bytes, or zeroes `to` and returns
/// `-EFAULT` when they are not all in the packet.
fn skb_load_bytes(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    let (skb, offset, to, len) = (args[0], args[1] as u32, args[2], args[3] as u32 as usize);
    let view = memory.context_view().copied();
    let Some(view) = view.filter(|v| region_base(v.region) == skb) else {
        return Err(HelperError::InvalidArgument { register: 1, value: skb, reason: "not the packet context" });
    };
    memory.write_in_place(to, len)?;
    let packet = memory.region(view.packet).map(|r| r.bytes());
    let bytes = packet.and_then(|p| p.get(offset as usize..(offset as usize).checked_add(len)?)).map(<[u8]>::to_vec);
    let buffer = memory.write_in_place(to, len)?;
    match bytes {
        Some(bytes) if offset <= i32::MAX as u32 => {
            buffer.copy_from_slice(&bytes);
            Ok(0)
        }
        _ => {
            buffer.fill(0);
            Ok(errno::negative(errno::EFAULT))
        }
    }
}

/// `bpf_loop(nr_loops, callback, ctx, flags)`: calls `callback(i, ctx)` for `i` in
/// `0..nr_loops` until it returns non-zero; returns the number of calls made.
fn bpf_loop(
    helpers: &mut KernelHelpers,
    args: [u64; 5],
    memory: &mut Memory,
    code: &mut dyn CodeRunner,
) -> Result<u64, HelperError> {
    let (count, callback, context, flags) = (u64::from(args[0] as u32), args[1], args[2], args[3]);
    if flags != 0 {
        return Ok(errno::negative(errno::EINVAL));
    }
    if count > MAX_LOOPS {
        return Ok(errno::negative(errno::E2BIG));
    }
    if !code.is_function(callback) {
        return Err(HelperError::InvalidArgument { register: 2, value: callback, reason: "not a function entry" });
    }
    for index in 0..count {
        if code.call_function(helpers, memory, callback, &[index, context])? != 0 {
            return Ok(index + 1);
        }
    }
    Ok(count)
}

/// `get_stackid(ctx, map, flags)`: the environment takes no stack traces, so valid flags
/// give `-EFAULT`, as when the kernel cannot walk the stack.
fn get_stackid(args: [u64; 5]) -> u64 {
    // BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID.
    if args[2] & !0x7ff != 0 {
        return errno::negative(errno::EINVAL);
    }
    errno::negative(errno::EFAULT)
}

/// `redirect_map(map, key, flags)`: the environment's device and socket maps are empty, so
/// the lookup fails and the helper returns the fallback action in the low two bits of
/// `flags` (`XDP_ABORTED` for unknown flags).
fn redirect_map(flags: u64) -> u64 {
    // The action bits, BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS.
    if flags & !0x1b != 0 {
        return 0;
    }
    flags & 3
}

/// `bpf_task_work_schedule_*(task, tw, map, callback)`: schedules `callback` for later.
fn schedule_task_work(args: [u64; 5], code: &mut dyn CodeRunner) -> Result<u64, HelperError> {
    if !code.is_function(args[3]) {
        return Err(HelperError::InvalidArgument { register: 4, value: args[3], reason: "not a function entry" });
    }
    Ok(0)
}

/// `bpf_stream_vprintk(stream_id, fmt, args, len)`: the format and the argument words
/// must be readable; stream 1 (stdout) and 2 (stderr) exist.
fn stream_vprintk(memory: &mut Memory, args: [u64; 5]) -> Result<u64, HelperError> {
    memory.read(args[1], 1)?;
    let len = args[3] as u32 as usize;
    if len > 0 {
        memory.read(args[2], len)?;
    }
    if !len.is_multiple_of(8) || len > 8 * MAX_PRINTF_ARGUMENTS {
        return Ok(u64::from(errno::negative(errno::EINVAL) as u32));
    }
    match args[0] as u32 {
        1 | 2 => Ok(0),
        _ => Ok(u64::from(errno::negative(errno::ENOENT) as u32)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm;
    use crate::interp::maps::map_handle;
    use crate::interp::maps::tests::{map, object};
    use crate::interp::memory::{Access, RegionKind};
    use crate::interp::{CallxModel, Machine, RunConfig, Trap, TrapKind};
    use crate::isa::{Insn, Size};
    use crate::program::{Program, ProgramParts};

    /// Helpers over `maps` for an XDP program, a memory, and a 64-byte scratch region.
    fn setup(maps: Vec<crate::elf::MapDef>) -> (KernelHelpers, Memory, u64) {
        let program = Program::new(vec![Insn::Exit], ProgramParts::default()).expect("valid");
        let object = object("xdp", maps, program);
        let mut memory = Memory::new();
        let table = MapTable::install(&object, &object.programs[0], &mut memory).expect("small maps");
        let scratch = memory.add_region(RegionKind::Other, vec![0; 64], Access::ReadWrite).expect("small");
        (KernelHelpers::new(table, ProgramType::Xdp), memory, region_base(scratch))
    }

    fn call(helpers: &mut KernelHelpers, memory: &mut Memory, id: i32, args: [u64; 5]) -> Result<u64, HelperError> {
        match helpers.call(id, args, memory)? {
            HelperResult::Return(value) => Ok(value),
            HelperResult::Exit(value) => panic!("kernel helpers never exit (r0 = {value})"),
        }
    }

    #[test]
    fn spin_locks_are_the_values_locks_taken_one_at_a_time() {
        let mut locked = map("locked", 2, 4, 8, 2);
        locked.extras.spin_lock = Some(4);
        let (mut helpers, mut memory, scratch) = setup(vec![locked]);
        memory.write(scratch, &[0, 0, 0, 0, 1, 0, 0, 0]).expect("scratch");
        let handle = map_handle(MapId(0));
        let first = call(&mut helpers, &mut memory, 1, [handle, scratch, 0, 0, 0]).expect("element 0");
        let second = call(&mut helpers, &mut memory, 1, [handle, scratch + 4, 0, 0, 0]).expect("element 1");
        let mut call = |id, lock| call(&mut helpers, &mut memory, id, [lock, 0, 0, 0, 0]);
        assert!(matches!(call(93, first), Err(HelperError::InvalidArgument { register: 1, .. })));
        assert_eq!(call(94, first + 4), Err(HelperError::SpinLock("an unlock without a lock held")));
        assert_eq!(call(93, first + 4), Ok(0));
        // The kernel refuses a second lock as it refuses any other call under a lock.
        assert_eq!(call(93, second + 4), Err(HelperError::SpinLock("a helper call while a lock is held")));
        assert_eq!(call(5, 0), Err(HelperError::SpinLock("a helper call while a lock is held")));
        assert_eq!(call(94, second + 4), Err(HelperError::SpinLock("an unlock of a different lock")));
        assert_eq!(call(94, first + 4), Ok(0));
        assert!(call(5, 0).is_ok());
        assert!(!helpers.spin_lock_held());
    }

    #[test]
    fn program_access_flags_shape_map_values() {
        use crate::interp::memory::FaultReason;
        use crate::isa::Size;
        use crate::model::maps::{BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG};
        let (mut read_only, mut write_only) = (map("ro", 2, 4, 8, 1), map("wo", 1, 4, 8, 1));
        read_only.flags = BPF_F_RDONLY_PROG;
        write_only.flags = BPF_F_WRONLY_PROG;
        let (mut helpers, mut memory, scratch) = setup(vec![read_only, write_only]);
        let ro = call(&mut helpers, &mut memory, 1, [map_handle(MapId(0)), scratch, 0, 0, 0]).expect("element 0");
        assert!(memory.load(ro, Size::W).is_ok());
        assert_eq!(memory.store(ro, Size::W, 1).map_err(|f| f.reason), Err(FaultReason::ReadOnly));
        // A hash value made by an update is write-only for the program too.
        let update = [map_handle(MapId(1)), scratch, scratch + 8, 0, 0];
        assert_eq!(call(&mut helpers, &mut memory, 2, update), Ok(0));
        let wo = call(&mut helpers, &mut memory, 1, [map_handle(MapId(1)), scratch, 0, 0, 0]).expect("the entry");
        assert!(memory.store(wo, Size::W, 1).is_ok());
        assert_eq!(memory.load(wo, Size::W).map_err(|f| f.reason), Err(FaultReason::WriteOnly));
    }

    #[test]
    fn the_table_has_one_entry_per_number() {
        for (i, (id, name, _)) in HELPERS.iter().enumerate() {
            assert!(HELPERS[..i].iter().all(|h| h.0 != *id && h.1 != *name), "helper {id} {name} listed twice");
        }
        assert_eq!(helper_name(1), Some("map_lookup_elem"));
        assert_eq!(helper_name(181), Some("loop"));
        let (mut helpers, mut memory, _) = setup(vec![]);
        assert_eq!(call(&mut helpers, &mut memory, 9999, [0; 5]), Err(HelperError::Unknown));
    }

    #[test]
    fn the_environment_is_fixed_and_the_clock_advances() {
        let (mut helpers, mut memory, scratch) = setup_for(ProgramType::Kprobe);
        let mut call = |id, args| call(&mut helpers, &mut memory, id, args);
        assert_eq!(call(14, [0; 5]), Ok(4242 << 32 | 4242));
        assert_eq!(call(15, [0; 5]), Ok(1000 << 32 | 1000));
        assert_eq!(call(8, [0; 5]), Ok(0));
        assert_eq!(call(5, [0; 5]), Ok(CLOCK_START_NS));
        assert_eq!(call(125, [0; 5]), Ok(CLOCK_START_NS + CLOCK_STEP_NS));
        let first = call(7, [0; 5]).expect("prandom");
        assert_ne!(call(7, [0; 5]), Ok(first));
        assert_eq!(call(16, [scratch, 16, 0, 0, 0]), Ok(0));
        assert_eq!(call(16, [scratch + 60, 16, 0, 0, 0]).map_err(|e| matches!(e, HelperError::Memory(_))), Err(true));
        assert_eq!(memory.read(scratch, 16), Ok(&b"bpfprove\0\0\0\0\0\0\0\0"[..]));
        // The generator is deterministic across helper sets.
        let (mut again, mut other_memory, _) = setup(vec![]);
        assert_eq!(super::tests::call(&mut again, &mut other_memory, 7, [0; 5]), Ok(first));
    }

    #[test]
    fn probe_reads_copy_or_zero_with_efault() {
        let (mut helpers, mut memory, scratch) = setup_for(ProgramType::Kprobe);
        memory.write(scratch, b"hello\0world").expect("scratch");
        let dst = scratch + 32;
        assert_eq!(call(&mut helpers, &mut memory, 113, [dst, 8, scratch, 0, 0]), Ok(0));
        assert_eq!(memory.read(dst, 8), Ok(&b"hello\0wo"[..]));
        assert_eq!(call(&mut helpers, &mut memory, 4, [dst, 8, 0x1234, 0, 0]), Ok(errno::negative(errno::EFAULT)));
        assert_eq!(memory.read(dst, 8), Ok(&[0u8; 8][..]));
        let unwritable = call(&mut helpers, &mut memory, 112, [0x10, 8, scratch, 0, 0]);
        assert!(matches!(unwritable, Err(HelperError::Memory(_))), "{unwritable:?}");
        // Strings: length with the NUL, truncated to the buffer.
        assert_eq!(call(&mut helpers, &mut memory, 114, [dst, 16, scratch, 0, 0]), Ok(6));
        assert_eq!(memory.read(dst, 6), Ok(&b"hello\0"[..]));
        assert_eq!(call(&mut helpers, &mut memory, 115, [dst, 3, scratch, 0, 0]), Ok(3));
        assert_eq!(memory.read(dst, 3), Ok(&b"he\0"[..]));
        assert_eq!(call(&mut helpers, &mut memory, 45, [dst, 16, 0x77, 0, 0]), Ok(errno::negative(errno::EFAULT)));
        assert_eq!(memory.read(dst, 16), Ok(&[0u8; 16][..]));
    }

    #[test]
    fn outputs_are_recorded_in_order() {
        let maps = vec![map("events", 27, 0, 0, 4096), map("perf", 4, 4, 4, 0), map("array", 2, 4, 4, 1)];
        let (mut helpers, mut memory, scratch) = setup(maps);
        memory.write(scratch, b"n=%u\0").expect("scratch");
        assert_eq!(call(&mut helpers, &mut memory, 6, [scratch, 5, 7, 0, 0]), Ok(3));
        assert_eq!(call(&mut helpers, &mut memory, 6, [scratch, 4, 7, 0, 0]), Ok(errno::negative(errno::EINVAL)));
        assert_eq!(call(&mut helpers, &mut memory, 130, [map_handle(MapId(0)), scratch, 2, 0, 0]), Ok(0));
        let ctx = region_base(
            crate::interp::context::install(&mut memory, ProgramType::Xdp, &[0; 14]).expect("small").context,
        );
        assert_eq!(call(&mut helpers, &mut memory, 25, [ctx, map_handle(MapId(1)), 0xffff_ffff, scratch, 1]), Ok(0));
        let not_ctx = call(&mut helpers, &mut memory, 25, [0, map_handle(MapId(1)), 0xffff_ffff, scratch, 1]);
        assert!(matches!(not_ctx, Err(HelperError::InvalidArgument { register: 1, .. })));
        let wrong_map = call(&mut helpers, &mut memory, 25, [ctx, map_handle(MapId(2)), 0, scratch, 1]);
        assert!(matches!(wrong_map, Err(HelperError::InvalidArgument { register: 2, .. })));
        let record = call(&mut helpers, &mut memory, 131, [map_handle(MapId(0)), 4, 0, 0, 0]).expect("reserve");
        memory.store(record, Size::W, 0xaabbccdd).expect("record");
        assert_eq!(call(&mut helpers, &mut memory, 132, [record, 0, 0, 0, 0]), Ok(0));
        let discarded = call(&mut helpers, &mut memory, 131, [map_handle(MapId(0)), 4, 0, 0, 0]).expect("reserve");
        assert_eq!(call(&mut helpers, &mut memory, 133, [discarded, 0, 0, 0, 0]), Ok(0));
        assert!(call(&mut helpers, &mut memory, 132, [discarded, 0, 0, 0, 0]).is_err(), "already discarded");
        assert_eq!(
            helpers.take_outputs(),
            [
                Output::TracePrintk("n=7".into()),
                Output::RingBuffer { map: MapId(0), bytes: b"n=".to_vec() },
                Output::PerfEvent { map: MapId(1), bytes: b"n".to_vec() },
                Output::RingBuffer { map: MapId(0), bytes: vec![0xdd, 0xcc, 0xbb, 0xaa] },
            ]
        );
        assert!(helpers.outputs().is_empty());
    }

    #[test]
    fn skb_load_bytes_copies_packet_bytes() {
        let (mut helpers, mut memory, scratch) = setup_for(ProgramType::SchedCls);
        let ctx = crate::interp::context::install(&mut memory, ProgramType::SchedCls, &[1, 2, 3, 4]).expect("small");
        let skb = region_base(ctx.context);
        assert_eq!(call(&mut helpers, &mut memory, 26, [skb, 1, scratch, 2, 0]), Ok(0));
        assert_eq!(memory.read(scratch, 2), Ok(&[2u8, 3][..]));
        assert_eq!(call(&mut helpers, &mut memory, 26, [skb, 3, scratch, 2, 0]), Ok(errno::negative(errno::EFAULT)));
        assert_eq!(memory.read(scratch, 2), Ok(&[0u8, 0][..]));
        let not_skb = call(&mut helpers, &mut memory, 26, [scratch, 0, scratch, 1, 0]);
        assert!(matches!(not_skb, Err(HelperError::InvalidArgument { register: 1, .. })), "{not_skb:?}");
    }

    #[test]
    fn local_storage_is_one_zeroed_value_per_cgroup_storage_map() {
        let (helpers, mut memory, _) = setup(vec![map("storage", 19, 16, 24, 0), map("table", 1, 8, 24, 1)]);
        let mut helpers = KernelHelpers { program_type: ProgramType::CgroupSkbIngress, ..helpers };
        let (storage, table) = (map_handle(MapId(0)), map_handle(MapId(1)));
        let value = call(&mut helpers, &mut memory, 81, [storage, 0, 0, 0, 0]).expect("the storage");
        assert_eq!(memory.read(value, 24), Ok(&[0u8; 24][..]));
        memory.write(value + 16, &[7; 8]).expect("the value is writable");
        assert!(memory.read(value + 20, 8).is_err(), "24 bytes, no more");
        // Every call gives the same value.
        assert_eq!(call(&mut helpers, &mut memory, 81, [storage, 0, 0, 0, 0]), Ok(value));
        let not_storage = call(&mut helpers, &mut memory, 81, [table, 0, 0, 0, 0]);
        assert!(matches!(not_storage, Err(HelperError::InvalidArgument { register: 1, .. })), "{not_storage:?}");
    }

    #[test]
    fn xdp_load_and_store_bytes_copy_within_the_packet() {
        let (_, mut memory, scratch) = setup_for(ProgramType::Xdp);
        let ctx = crate::interp::context::install(&mut memory, ProgramType::Xdp, &[1, 2, 3, 4]).expect("small");
        let xdp = region_base(ctx.context);
        let load = |m: &mut Memory, args| skb::xdp_copy(m, args, skb::Direction::Load);
        assert_eq!(load(&mut memory, [xdp, 1, scratch, 2, 0]), Ok(0));
        assert_eq!(memory.read(scratch, 2), Ok(&[2u8, 3][..]));
        assert_eq!(load(&mut memory, [xdp, 3, scratch, 2, 0]), Ok(errno::negative(errno::EINVAL)));
        assert_eq!(load(&mut memory, [xdp, 0x10000, scratch, 1, 0]), Ok(errno::negative(errno::EFAULT)));
        memory.write(scratch, &[9, 9]).expect("scratch");
        assert_eq!(skb::xdp_copy(&mut memory, [xdp, 2, scratch, 2, 0], skb::Direction::Store), Ok(0));
        let packet = ctx.packet.expect("xdp has a packet");
        assert_eq!(memory.region(packet).expect("packet").bytes(), &[1, 2, 9, 9]);
        let not_xdp = load(&mut memory, [scratch, 0, scratch, 1, 0]);
        assert!(matches!(not_xdp, Err(HelperError::InvalidArgument { register: 1, .. })), "{not_xdp:?}");
    }

    #[test]
    fn socket_references_are_counted_and_released_sockets_die() {
        let (mut helpers, mut memory, scratch) = setup_for(ProgramType::SchedCls);
        let ctx = crate::interp::context::install(&mut memory, ProgramType::SchedCls, &[0; 16]).expect("small");
        let sk = crate::interp::context::load(
            &memory,
            memory.load(region_base(ctx.context) + 168, Size::DW).expect_err("a virtual context"),
            region_base(ctx.context),
            Size::DW,
            false,
        )
        .expect("__sk_buff.sk");
        // The context's socket is a full TCP socket the program holds no reference to.
        let full = call(&mut helpers, &mut memory, 95, [sk, 0, 0, 0, 0]).expect("fullsock");
        assert_ne!(full, 0);
        let tcp = call(&mut helpers, &mut memory, 96, [full, 0, 0, 0, 0]).expect("tcp_sock");
        assert_ne!(tcp, 0);
        let no_reference = call(&mut helpers, &mut memory, 86, [sk, 0, 0, 0, 0]);
        assert!(matches!(no_reference, Err(HelperError::InvalidArgument { register: 1, .. })), "{no_reference:?}");
        // A lookup finds nothing or a socket with one reference; the seeded choices give a
        // socket by the third lookup.
        let tuple = [region_base(ctx.context), scratch, 12, u64::MAX, 0];
        let found = (0..3)
            .map(|_| call(&mut helpers, &mut memory, 84, tuple).expect("lookup"))
            .find(|&address| address != 0)
            .expect("a socket by the third lookup");
        let derived = call(&mut helpers, &mut memory, 96, [found, 0, 0, 0, 0]).expect("tcp_sock");
        assert_ne!(derived, 0);
        assert_eq!(call(&mut helpers, &mut memory, 86, [found, 0, 0, 0, 0]), Ok(0));
        let twice = call(&mut helpers, &mut memory, 86, [found, 0, 0, 0, 0]);
        assert!(matches!(twice, Err(HelperError::InvalidArgument { register: 1, .. })), "{twice:?}");
        let fault = memory.load(derived, Size::W).expect_err("dead");
        assert!(crate::interp::context::load(&memory, fault, derived, Size::W, false).is_err(), "views die too");
        let dead = call(&mut helpers, &mut memory, 95, [found, 0, 0, 0, 0]);
        assert!(matches!(dead, Err(HelperError::InvalidArgument { register: 1, .. })), "{dead:?}");
    }

    /// Helpers for a `program_type` program (no maps), a memory, and a scratch region.
    fn setup_for(program_type: ProgramType) -> (KernelHelpers, Memory, u64) {
        let (helpers, memory, scratch) = setup(vec![]);
        (KernelHelpers { program_type, ..helpers }, memory, scratch)
    }

    #[test]
    fn helpers_are_refused_to_program_types_the_kernel_does_not_offer_them_to() {
        let not_for = |program_type| Err(HelperError::NotAvailable { program_type });
        let (mut socket, mut memory, _) = setup_for(ProgramType::SocketFilter);
        assert_eq!(call(&mut socket, &mut memory, 23, [1, 0, 0, 0, 0]), not_for(ProgramType::SocketFilter));
        assert_eq!(call(&mut socket, &mut memory, 9, [0; 5]), not_for(ProgramType::SocketFilter));
        let (mut kprobe, mut memory, scratch) = setup_for(ProgramType::Kprobe);
        assert_eq!(call(&mut kprobe, &mut memory, 26, [0, 0, scratch, 4, 0]), not_for(ProgramType::Kprobe));
        assert_eq!(call(&mut kprobe, &mut memory, 14, [0; 5]), Ok(4242 << 32 | 4242));
        let (mut xdp, mut memory, _) = setup_for(ProgramType::Xdp);
        // get_current_comm: the tracing and cgroup tables only (6.12's base table has
        // get_current_pid_tgid, so XDP may call that one).
        assert_eq!(call(&mut xdp, &mut memory, 16, [0; 5]), not_for(ProgramType::Xdp));
        assert_eq!(call(&mut xdp, &mut memory, 23, [1, 0, 0, 0, 0]), Ok(4));
    }

    /// The internet checksum of `bytes` (16-bit words in packet order), as stored.
    fn internet_checksum(bytes: &[u8]) -> [u8; 2] {
        let mut sum: u32 = 0;
        for word in bytes.chunks(2) {
            sum += u32::from(u16::from_be_bytes([word[0], word[1]]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        (!(sum as u16)).to_be_bytes()
    }

    #[test]
    fn tc_packet_helpers_write_and_checksum_the_packet() {
        let (mut tc, mut memory, scratch) = setup_for(ProgramType::SchedCls);
        // An IPv4 header whose checksum (bytes 10-11) is right.
        let mut header = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let sum = internet_checksum(&header);
        header[10..12].copy_from_slice(&sum);
        let ctx = crate::interp::context::install(&mut memory, ProgramType::SchedCls, &header).expect("small");
        let (skb, packet) = (region_base(ctx.context), ctx.packet.expect("tc has a packet"));
        // Rewrite the destination address (bytes 16-19) and fix the checksum with
        // l3_csum_replace, the values as a program loads them (little-endian words).
        let old = u64::from(u32::from_le_bytes([10, 0, 0, 2]));
        let new = u64::from(u32::from_le_bytes([192, 168, 7, 9]));
        memory.write(scratch, &[192, 168, 7, 9]).expect("scratch");
        assert_eq!(call(&mut tc, &mut memory, 9, [skb, 16, scratch, 4, 0]), Ok(0));
        assert_eq!(call(&mut tc, &mut memory, 10, [skb, 10, old, new, 4]), Ok(0));
        let bytes = memory.region(packet).expect("packet").bytes().to_vec();
        assert_eq!(&bytes[16..20], &[192, 168, 7, 9]);
        let mut zeroed = bytes.clone();
        zeroed[10..12].fill(0);
        assert_eq!(bytes[10..12], internet_checksum(&zeroed));
        // Out of the packet, bad flags, bad sizes.
        let efault = Ok(errno::negative(errno::EFAULT));
        assert_eq!(call(&mut tc, &mut memory, 9, [skb, 18, scratch, 4, 0]), efault);
        assert_eq!(call(&mut tc, &mut memory, 11, [skb, 19, 0, 0, 2]), efault);
        assert_eq!(call(&mut tc, &mut memory, 10, [skb, 10, 0, 0, 3]), Ok(errno::negative(errno::EINVAL)));
        assert_eq!(call(&mut tc, &mut memory, 9, [skb, 0, scratch, 1, 4]), Ok(errno::negative(errno::EINVAL)));
        // csum_diff of a word against itself is the seed's sum with 0xffffffff.
        assert_eq!(call(&mut tc, &mut memory, 28, [scratch, 4, scratch, 4, 0]), Ok(0xffff_ffff));
        assert_eq!(call(&mut tc, &mut memory, 28, [0, 0, scratch, 4, 1]), Ok(u64::from(new as u32) + 1));
        assert_eq!(call(&mut tc, &mut memory, 28, [0, 0, scratch, 3, 0]), Ok(errno::negative(errno::EINVAL)));
        assert_eq!(call(&mut tc, &mut memory, 39, [skb, 21, 0, 0, 0]), Ok(errno::negative(errno::ENOMEM)));
        assert_eq!(call(&mut tc, &mut memory, 39, [skb, 20, 0, 0, 0]), Ok(0));
        let not_skb = call(&mut tc, &mut memory, 9, [scratch, 0, scratch, 1, 0]);
        assert!(matches!(not_skb, Err(HelperError::InvalidArgument { register: 1, .. })), "{not_skb:?}");
    }

    fn run_kprobe(text: &str) -> Result<crate::interp::Outcome, Trap> {
        let program = asm::llvm::parse(text).expect("valid program");
        let machine = Machine::new(&program, RunConfig::new(CallxModel::Address, 1000));
        let mut memory = machine.new_memory()?;
        let (mut helpers, _, _) = setup_for(ProgramType::Kprobe);
        machine.run(&mut memory, &[], &mut helpers)
    }

    #[test]
    fn helpers_initialise_the_stack_they_fill_and_fault_on_what_they_read_uninitialised() {
        // get_current_comm fills 16 bytes of stack; reading them back is fine.
        let comm = "r1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = *(u64 *)(r10 - 16)\nexit\n";
        assert_eq!(run_kprobe(comm).map(|o| o.r0), Ok(u64::from_le_bytes(*b"bpfprove")));
        // trace_printk reads its format from uninitialised stack: the helper faults.
        let printk = "r1 = r10\nr1 += -8\nr2 = 8\ncall 6\nr0 = 0\nexit\n";
        let trap = run_kprobe(printk).expect_err("uninitialised format");
        let TrapKind::HelperFailed { id: 6, error: HelperError::Memory(fault) } = trap.kind else { panic!("{trap}") };
        assert_eq!((fault.offset, fault.reason), (504, crate::interp::memory::FaultReason::Uninitialised));
    }

    /// `bpf_loop(5, callback, &acc, 0)` where the callback adds its index to `acc` and
    /// stops after index `stop`; returns `acc << 8 | loop's result`.
    fn loop_program(stop: i32) -> Program {
        let text = format!(
            "
            r6 = 0
            *(u64 *)(r10 - 8) = r6
            r1 = 5
            r2 = callback ll
            r3 = r10
            r3 += -8
            r4 = 0
            call 181
            r7 = r0
            r0 = *(u64 *)(r10 - 8)
            r0 <<= 8
            r0 |= r7
            exit
        callback:
            r3 = *(u64 *)(r2 + 0)
            r3 += r1
            *(u64 *)(r2 + 0) = r3
            r0 = 0
            if r1 != {stop} goto out
            r0 = 1
        out:
            exit
            "
        );
        asm::llvm::parse(&text).expect("valid program")
    }

    fn run_loop(program: &Program) -> Result<u64, Trap> {
        let machine = Machine::new(program, RunConfig::new(CallxModel::Address, 1000));
        let mut memory = machine.new_memory()?;
        let (mut helpers, _, _) = setup(vec![]);
        machine.run(&mut memory, &[], &mut helpers).map(|o| o.r0)
    }

    #[test]
    fn bpf_loop_calls_back_into_the_program() {
        assert_eq!(run_loop(&loop_program(-1)), Ok((1 + 2 + 3 + 4) << 8 | 5));
        assert_eq!(run_loop(&loop_program(2)), Ok((1 + 2) << 8 | 3));
    }

    #[test]
    fn a_trap_in_a_callback_names_the_callback_pc() {
        // The callback reads r5, which a callback does not receive.
        let text = "r1 = 2\n r2 = callback ll\n r3 = 0\n r4 = 0\n call 181\n exit\ncallback:\n r0 = r5\n exit\n";
        let program = asm::llvm::parse(text).expect("valid");
        let trap = run_loop(&program).expect_err("traps");
        let TrapKind::HelperFailed { id: 181, error: HelperError::Callback(inner) } = &trap.kind else {
            panic!("{trap}")
        };
        assert_eq!(trap.pc, 5);
        assert_eq!(**inner, Trap { pc: 7, kind: TrapKind::UninitialisedRegister { reg: crate::isa::Reg::R5 } });
        assert_eq!(crate::interp::elf_run::innermost(&trap), &**inner);
        // A callback that is not a function entry is refused.
        let text = "r1 = 2\n r2 = 0\n r3 = 0\n r4 = 0\n call 181\n exit\n";
        let trap = run_loop(&asm::llvm::parse(text).expect("valid")).expect_err("traps");
        assert!(matches!(
            trap.kind,
            TrapKind::HelperFailed { error: HelperError::InvalidArgument { register: 2, .. }, .. }
        ));
    }

    /// Runs `text` with kfunc ids 1, 2, 3 standing for the two implicit-argument selftest
    /// kfuncs and one no run implements.
    fn run_kfuncs(text: &str) -> Result<crate::interp::Outcome, Trap> {
        let program = asm::llvm::parse(text).expect("valid program");
        let machine = Machine::new(&program, RunConfig::new(CallxModel::Address, 1000));
        let mut memory = machine.new_memory()?;
        let (helpers, _, _) = setup(vec![]);
        let names = ["bpf_kfunc_implicit_arg", "bpf_kfunc_implicit_arg_legacy", "bpf_not_a_kfunc"];
        let kfuncs = (1..).zip(names.map(String::from)).collect();
        let mut helpers = helpers.with_kfuncs(kfuncs);
        assert_eq!(helpers.kfuncs().get(&3).map(String::as_str), Some("bpf_not_a_kfunc"));
        machine.run(&mut memory, &[], &mut helpers)
    }

    #[test]
    fn kfuncs_are_called_by_the_name_their_id_stands_for() {
        for (i, (name, _)) in KFUNCS.iter().enumerate() {
            assert!(KFUNCS[..i].iter().all(|k| k.0 != *name), "kfunc {name} listed twice");
        }
        assert!(kfunc_implemented("bpf_kfunc_implicit_arg") && !kfunc_implemented("bpf_not_a_kfunc"));
        // Only r1 is set for the first call (its `aux` argument is implicit); `int` results
        // are zero-extended; r1-r5 are clobbered afterwards.
        let text = "r1 = -1\n call kfunc 0x1\n r6 = r0\n r1 = 3\n r2 = 4\n call kfunc 0x2\n r0 += r6\n exit";
        let outcome = run_kfuncs(text).expect("both kfuncs exist");
        assert_eq!(outcome.r0, 0xffff_ffff + 7);
        assert!(outcome.registers[1..6].iter().all(|&r| r == crate::interp::helpers::CLOBBERED));
        // A name no kfunc of the run has, an id no name stands for, another BTF object.
        let trap = run_kfuncs("r1 = 1\n call kfunc 0x3\n exit").expect_err("not implemented");
        assert_eq!(trap, Trap { pc: 1, kind: TrapKind::UnknownKfunc { btf_id: 3, name: "bpf_not_a_kfunc".into() } });
        assert_eq!(trap.to_string(), "pc 1: unknown kfunc `bpf_not_a_kfunc` (btf id 3)");
        let trap = run_kfuncs("call kfunc 0x4\n exit").expect_err("no such id");
        assert_eq!(trap.kind, TrapKind::UnsupportedKfunc { btf_id: 4, btf_obj: 0 });
        let trap = run_kfuncs("call kfunc 0x1 btf 0x1\n exit").expect_err("another BTF object");
        assert_eq!(trap.kind, TrapKind::UnsupportedKfunc { btf_id: 1, btf_obj: 1 });
        // A kfunc that fails names itself.
        let error = KfuncError::Failed { name: "bpf_x".into(), error: HelperError::Unknown };
        assert_eq!(error.trap_kind(7, 0).to_string(), "kfunc `bpf_x` (btf id 7) failed: unknown helper");
    }

    #[test]
    fn callbacks_spend_the_runs_budget() {
        let machine = Machine::new(&loop_program(-1), RunConfig::new(CallxModel::Address, 40));
        let mut memory = machine.new_memory().expect("memory");
        let (mut helpers, _, _) = setup(vec![]);
        let trap = machine.run(&mut memory, &[], &mut helpers).expect_err("5 callbacks of 6-7 insns exceed 40");
        let inner = crate::interp::elf_run::innermost(&trap);
        assert_eq!(inner.kind, TrapKind::BudgetExhausted { budget: 40 });
    }
}
