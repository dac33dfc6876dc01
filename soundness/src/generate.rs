//! Programs shaped like real verifier inputs, written as LLVM-syntax assembly so that every
//! one parses to valid bytecode.
//!
//! A program is a sequence of idioms (a packet bounds check and access, a map lookup and
//! its NULL check, a spill and fill, a call passing a pointer, a `callx` through a table,
//! a `gotox` switch, a loop, ...), each safe as written. With a small probability an idiom
//! is mutated in one of the ways that real bugs and real attacks break it (an off-by-one
//! bound, a check in the wrong direction or width, a missing NULL check, a partial fill of
//! a pointer, a mask too wide for a table, ...), so that most programs stay acceptable
//! (a rejected program tests nothing) while the analyzer still meets the unsafe variants.
//! This follows the template-and-mutation idea of BpfChecker (CCS'24) and SEV (OSDI'24).
//!
//! Register conventions inside `main`: `r6` holds the context throughout; in programs with
//! direct packet access `r7` and `r8` hold `data` and `data_end`; `r9` is scratch that
//! survives calls. Every idiom sets up the scratch registers it reads.

use std::fmt::Write as _;

/// Appends a formatted line to `main` (the arguments are evaluated before the writer is
/// borrowed, so they may draw random numbers).
macro_rules! emit {
    ($writer:expr, $($arg:tt)*) => {{
        let text = format!($($arg)*);
        $writer.line(text);
    }};
}

use bpfprove_analyzer::counterexample::Rng;
use bpfprove_semantics::interp::context::ProgramType;

use crate::environment::{
    ARRAY_ENTRIES, ARRAY_MAP, ARRAY_VALUE_SIZE, DATA_MAP, DATA_SIZE, HASH_MAP, HASH_VALUE_SIZE, RODATA_MAP, RODATA_SIZE,
};

/// One generated program: its type and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The program type (and so the context and return range).
    pub program_type: ProgramType,
    /// LLVM-syntax assembly; `main` is the first function.
    pub text: String,
}

/// How programs are generated.
#[derive(Clone, Copy, Debug)]
pub struct GenConfig {
    /// Percentage of idioms that are mutated into a possibly unsafe variant.
    pub mutation_percent: u64,
    /// Most idioms in `main`.
    pub max_idioms: u64,
}

impl GenConfig {
    /// The settings `soundness-fuzz` uses: one idiom in five mutated, up to six idioms.
    pub fn standard() -> GenConfig {
        GenConfig { mutation_percent: 20, max_idioms: 6 }
    }
}

/// The program types generated, with their weights.
const PROGRAM_TYPES: &[(ProgramType, u64)] =
    &[(ProgramType::Xdp, 4), (ProgramType::SchedCls, 4), (ProgramType::SocketFilter, 1), (ProgramType::Kprobe, 2)];

/// Percentage of the points of a mutated idiom that take its mutation, if it is still to
/// be made.
const MUTATION_POINT_PERCENT: u64 = 40;

/// Access sizes by their spelling and byte count.
const SIZES: &[(&str, i64)] = &[("u8", 1), ("u16", 2), ("u32", 4), ("u64", 8)];

/// The program of a case drawn from `seed`.
pub fn generate(seed: u64, config: &GenConfig) -> Case {
    let mut rng = Rng::new(seed);
    let total: u64 = PROGRAM_TYPES.iter().map(|(_, w)| w).sum();
    let mut pick = rng.below(total);
    let mut program_type = PROGRAM_TYPES[0].0;
    for &(t, w) in PROGRAM_TYPES {
        if pick < w {
            program_type = t;
            break;
        }
        pick -= w;
    }
    let mut writer = Writer::new(program_type, rng, *config);
    writer.main();
    Case { program_type, text: writer.finish() }
}

/// The text being written: `main`, then the subprograms and jump tables it needs.
struct Writer {
    program_type: ProgramType,
    rng: Rng,
    config: GenConfig,
    main: Vec<String>,
    subprograms: Vec<String>,
    tables: Vec<String>,
    next_label: usize,
    /// Whether the idiom being written still has its one mutation to make.
    mutation_pending: bool,
}

impl Writer {
    fn new(program_type: ProgramType, rng: Rng, config: GenConfig) -> Writer {
        Writer {
            program_type,
            rng,
            config,
            main: Vec::new(),
            subprograms: Vec::new(),
            tables: Vec::new(),
            next_label: 0,
            mutation_pending: false,
        }
    }

    fn finish(self) -> String {
        let mut text = String::new();
        for line in self.tables.iter().chain(&self.main).chain(&self.subprograms) {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    fn line(&mut self, text: impl Into<String>) {
        self.main.push(text.into());
    }

    fn label(&mut self, prefix: &str) -> String {
        self.next_label += 1;
        format!("{prefix}{}", self.next_label)
    }

    fn place(&mut self, label: &str) {
        self.main.push(format!("{label}:"));
    }

    /// Whether to break the idiom at this point. An idiom is broken at most once (so that
    /// the analyzer meets each unsafe variant on its own, not hidden behind another), at
    /// one of the points that ask, chosen at random.
    fn mutate(&mut self) -> bool {
        let now = self.mutation_pending && self.rng.chance(MUTATION_POINT_PERCENT);
        if now {
            self.mutation_pending = false;
        }
        now
    }

    /// Starts an idiom: decides whether it will be mutated.
    fn begin_idiom(&mut self) {
        self.mutation_pending = self.rng.chance(self.config.mutation_percent);
    }

    fn below(&mut self, n: u64) -> i64 {
        self.rng.below(n) as i64
    }

    fn size(&mut self) -> (&'static str, i64) {
        SIZES[self.rng.below(SIZES.len() as u64) as usize]
    }

    fn direct_packet(&self) -> bool {
        matches!(self.program_type, ProgramType::Xdp | ProgramType::SchedCls)
    }

    fn is_skb(&self) -> bool {
        matches!(self.program_type, ProgramType::SchedCls | ProgramType::SocketFilter)
    }

    /// The context offsets of `data` and `data_end`.
    fn packet_fields(&self) -> (i64, i64) {
        if self.program_type == ProgramType::Xdp { (0, 4) } else { (76, 80) }
    }

    fn main(&mut self) {
        self.line("main:");
        self.line("r6 = r1");
        if self.direct_packet() {
            let (data, end) = self.packet_fields();
            emit!(self, "r7 = *(u32 *)(r6 + {data})");
            emit!(self, "r8 = *(u32 *)(r6 + {end})");
        }
        let idioms = 1 + self.rng.below(self.config.max_idioms);
        for _ in 0..idioms {
            self.idiom();
        }
        self.ret();
    }

    fn idiom(&mut self) {
        type Idiom = fn(&mut Writer);
        let mut choices: Vec<Idiom> = vec![
            Writer::map_lookup,
            Writer::map_update,
            Writer::spill_fill,
            Writer::pointer_spill,
            Writer::global_data,
            Writer::context_read,
            Writer::call_with_stack_pointer,
            Writer::callx,
            Writer::gotox,
            Writer::stack_loop,
            Writer::random_index,
            Writer::linked_index,
            Writer::scalar_noise,
            Writer::value_after_call,
            Writer::maybe_null_context,
            Writer::lookups_in_a_loop,
            Writer::call_with_map_value,
        ];
        if self.direct_packet() {
            choices.extend([
                Writer::packet_access as Idiom,
                Writer::packet_access,
                Writer::packet_variable_access,
                Writer::packet_loop,
                Writer::call_with_packet,
                Writer::packet_pointer_spill,
                Writer::spilled_relation,
            ]);
        }
        if self.is_skb() {
            choices.extend([Writer::skb_load_bytes as Idiom, Writer::load_abs]);
        }
        let idiom = choices[self.rng.below(choices.len() as u64) as usize];
        self.begin_idiom();
        idiom(self);
    }

    /// `r0` set to a value the program type may return.
    fn ret(&mut self) {
        self.begin_idiom();
        if self.program_type == ProgramType::Xdp {
            if self.mutate() {
                let value = [5, -1, 0x100][self.below(3) as usize];
                emit!(self, "r0 = {value}");
            } else if self.rng.chance(50) {
                self.line("r0 = *(u32 *)(r6 + 16)");
                self.line("r0 &= 3");
            } else {
                let value = self.below(5);
                emit!(self, "r0 = {value}");
            }
        } else {
            let value = self.below(3);
            emit!(self, "r0 = {value}");
        }
        self.line("exit");
    }

    /// A packet bounds check in one of its many spellings, then an access it covers.
    fn packet_access(&mut self) {
        let checked = [1, 2, 4, 8, 14, 20, 34, 54, 1 + self.below(64)][self.below(9) as usize];
        let (ty, bytes) = *SIZES.iter().rev().find(|s| s.1 <= checked).unwrap_or(&SIZES[0]);
        let (ty, bytes) = if self.rng.chance(50) { self.size() } else { (ty, bytes) };
        let (ty, bytes) = if bytes > checked { ("u8", 1) } else { (ty, bytes) };
        let mut offset = self.below((checked - bytes + 1) as u64);
        let skip = self.label("skip");
        let mut end = checked;
        if self.mutate() {
            // Off by one to four, or a negative offset the check says nothing about.
            match self.below(3) {
                0 => offset = checked - bytes + 1 + self.below(4),
                1 => offset = -1 - self.below(8),
                _ => end = checked - 1 - self.below(checked as u64),
            }
        }
        if self.mutate() {
            // A pointer below `data` compares below `data_end` too.
            emit!(self, "r1 = r7");
            emit!(self, "r1 += {}", -1 - self.below(64));
            self.bounds_check("r1", "r8", &skip);
            emit!(self, "r0 = *(u8 *)(r1 + 0)");
            self.place(&skip);
            return;
        }
        self.line("r1 = r7");
        emit!(self, "r1 += {end}");
        self.bounds_check("r1", "r8", &skip);
        let access = if self.rng.chance(50) {
            format!("r0 = *({ty} *)(r7 {})", signed(offset))
        } else {
            format!("*({ty} *)(r7 {}) = {}", signed(offset), self.below(256))
        };
        self.line(access);
        self.place(&skip);
    }

    /// Jumps to `skip` unless `ptr <= end` in one of the spellings compilers and people
    /// use; a mutation picks a spelling that does not establish it.
    fn bounds_check(&mut self, ptr: &str, end: &str, skip: &str) {
        let variant = if self.mutate() { 6 + self.below(5) } else { self.below(6) };
        let ok = self.label("ok");
        let w = |r: &str| r.replacen('r', "w", 1);
        match variant {
            0 => emit!(self, "if {ptr} > {end} goto {skip}"),
            1 => emit!(self, "if {end} < {ptr} goto {skip}"),
            2 => {
                emit!(self, "if {ptr} <= {end} goto {ok}");
                emit!(self, "goto {skip}");
            }
            3 => {
                emit!(self, "if {end} >= {ptr} goto {ok}");
                emit!(self, "goto {skip}");
            }
            4 => emit!(self, "if {ptr} s> {end} goto {skip}"),
            5 => emit!(self, "if {end} s< {ptr} goto {skip}"),
            // Unsafe: the wrong direction, a 32-bit comparison, or no check at all.
            6 => emit!(self, "if {ptr} < {end} goto {skip}"),
            7 => emit!(self, "if {} > {} goto {skip}", w(ptr), w(end)),
            8 => emit!(self, "if {end} > {ptr} goto {skip}"),
            9 => emit!(self, "if {ptr} >= {end} goto {skip}"),
            _ => emit!(self, "if {ptr} == {end} goto {skip}"),
        }
        self.place(&ok);
    }

    /// A variable offset read from the packet, masked, added to `data` and checked.
    fn packet_variable_access(&mut self) {
        let skip = self.label("skip");
        let mask = [1, 3, 7, 15, 31, 63][self.below(6) as usize];
        let (ty, bytes) = self.size();
        self.line("r1 = r7");
        self.line("r1 += 1");
        self.bounds_check("r1", "r8", &skip);
        self.line("r2 = *(u8 *)(r7 + 0)");
        if !self.mutate() {
            emit!(self, "r2 &= {mask}");
        } else if self.rng.chance(50) {
            self.line("r2 <<= 8");
        }
        self.line("r3 = r7");
        self.line("r3 += r2");
        self.line("r4 = r3");
        let covered = if self.mutate() { bytes - 1 } else { bytes };
        emit!(self, "r4 += {covered}");
        self.bounds_check("r4", "r8", &skip);
        emit!(self, "r0 = *({ty} *)(r3 + 0)");
        self.place(&skip);
    }

    /// `off < len` with `data + 2 + len <= data_end` learned in registers, `off` spilled to
    /// an 8-byte slot and its register reused, then filled back and used as a packet index:
    /// safe through the slot's zone variable. Mutations loosen the check, change the slot
    /// between spill and fill (a store of another number, a narrow store, an atomic add, a
    /// store at an unknown stack offset), or fill another slot.
    fn spilled_relation(&mut self) {
        let skip = self.label("skip");
        let slot = 8 * (1 + self.below(8));
        self.line("r1 = r7");
        self.line("r1 += 2");
        self.bounds_check("r1", "r8", &skip);
        self.line("r4 = *(u8 *)(r7 + 0)");
        self.line("r3 = r7");
        self.line("r3 += 2");
        self.line("r3 += r4");
        self.bounds_check("r3", "r8", &skip);
        self.line("r5 = *(u8 *)(r7 + 1)");
        if self.mutate() {
            emit!(self, "if r5 > r4 goto {skip}");
        } else {
            emit!(self, "if r5 >= r4 goto {skip}");
        }
        emit!(self, "*(u64 *)(r10 - {slot}) = r5");
        self.line("r1 = r4");
        self.line("r5 = 0");
        self.line("r4 = 0");
        let mut fill = slot;
        if self.mutate() {
            let number = 1 + self.below(300);
            match self.below(5) {
                0 => emit!(self, "*(u64 *)(r10 - {slot}) = {number}"),
                1 => emit!(self, "*(u8 *)(r10 - {}) = {}", slot - self.below(8), 1 + self.below(255)),
                2 => {
                    emit!(self, "r2 = {number}");
                    emit!(self, "lock *(u64 *)(r10 - {slot}) += r2");
                }
                3 => {
                    // r10 - slot - 8 + (len & 8): the slot itself when len has bit 3.
                    self.line("r1 &= 8");
                    self.line("r2 = r10");
                    emit!(self, "r2 += {}", -slot - 8);
                    self.line("r2 += r1");
                    emit!(self, "r3 = {number}");
                    self.line("*(u64 *)(r2 + 0) = r3");
                }
                _ => {
                    fill = if slot == 64 { 56 } else { slot + 8 };
                    emit!(self, "*(u64 *)(r10 - {fill}) = {number}");
                }
            }
        }
        emit!(self, "r5 = *(u64 *)(r10 - {fill})");
        self.line("r3 = r7");
        self.line("r3 += r5");
        self.line("r0 = *(u8 *)(r3 + 2)");
        self.place(&skip);
    }

    /// A bounded loop over packet bytes, each access checked inside the loop.
    fn packet_loop(&mut self) {
        let (head, done) = (self.label("loop"), self.label("done"));
        let bound = 1 + self.below(32);
        self.line("r5 = 0");
        self.line("r0 = 0");
        self.place(&head);
        self.line("r1 = r7");
        self.line("r1 += r5");
        self.line("r2 = r1");
        let step = if self.mutate() { "r2 += 0" } else { "r2 += 1" };
        self.line(step);
        self.bounds_check("r2", "r8", &done);
        self.line("r3 = *(u8 *)(r1 + 0)");
        self.line("r0 += r3");
        self.line("r5 += 1");
        let cond = if self.mutate() { "!=" } else { "<" };
        let bound = if cond == "!=" { bound | 1 } else { bound };
        if cond == "!=" {
            // Steps of 2 never meet an odd bound: the loop ends only at the packet's end.
            self.line("r5 += 1");
        }
        emit!(self, "if r5 {cond} {bound} goto {head}");
        self.place(&done);
    }

    /// A map lookup with a NULL check, then accesses of the value.
    fn map_lookup(&mut self) {
        let (map, value_size) = if self.rng.chance(50) {
            (HASH_MAP, i64::from(HASH_VALUE_SIZE))
        } else {
            (ARRAY_MAP, i64::from(ARRAY_VALUE_SIZE))
        };
        let skip = self.label("skip");
        let key = self.below(u64::from(ARRAY_ENTRIES) + 2);
        emit!(self, "*(u32 *)(r10 - 4) = {key}");
        self.line("r2 = r10");
        self.line("r2 += -4");
        emit!(self, "ld_pseudo r1, 0x5, {map}");
        self.line("call 1");
        match if self.mutate() { 2 + self.below(2) } else { self.below(2) } {
            0 => emit!(self, "if r0 == 0 goto {skip}"),
            1 => {
                let ok = self.label("ok");
                emit!(self, "if r0 != 0 goto {ok}");
                emit!(self, "goto {skip}");
                self.place(&ok);
            }
            // Unsafe: no check, or a check of something else.
            2 => {}
            _ => emit!(self, "if r6 == 0 goto {skip}"),
        }
        let (ty, bytes) = self.size();
        let mut offset = self.below((value_size - bytes + 1) as u64);
        if self.mutate() {
            offset = value_size - bytes + 1 + self.below(8);
        }
        match self.below(4) {
            0 => emit!(self, "r1 = *({ty} *)(r0 {})", signed(offset)),
            1 => emit!(self, "*({ty} *)(r0 {}) = {}", signed(offset), self.below(100)),
            2 => {
                // A variable index into the value, masked to stay inside.
                self.line("r1 = *(u32 *)(r0 + 0)");
                let room = value_size - 8;
                let mask = if self.mutate() { room * 2 - 1 } else { (room as u64).next_power_of_two() as i64 / 2 - 1 };
                emit!(self, "r1 &= {mask}");
                self.line("r2 = r0");
                self.line("r2 += r1");
                self.line("r3 = *(u64 *)(r2 + 0)");
            }
            _ => {
                // Kept across a helper call in a callee-saved register.
                self.line("r9 = r0");
                self.line("call 5");
                emit!(self, "r1 = *({ty} *)(r9 {})", signed(offset));
            }
        }
        self.place(&skip);
    }

    /// `map_update_elem` with the key and value on the stack.
    fn map_update(&mut self) {
        let value = i64::from(HASH_VALUE_SIZE);
        let written = if self.mutate() { value - 8 } else { value };
        for at in (0..written).step_by(8) {
            emit!(self, "*(u64 *)(r10 - {}) = {}", 24 - at, self.below(1000));
        }
        emit!(self, "*(u32 *)(r10 - 4) = {}", self.below(16));
        emit!(self, "ld_pseudo r1, 0x5, {HASH_MAP}");
        self.line("r2 = r10");
        self.line("r2 += -4");
        self.line("r3 = r10");
        self.line("r3 += -24");
        self.line("r4 = 0");
        self.line("call 2");
    }

    /// A scalar spilled and filled at any size, then used as a stack index.
    fn spill_fill(&mut self) {
        let (spill_ty, spill_bytes) = self.size();
        let (mut fill_ty, fill_bytes) = self.size();
        if fill_bytes > spill_bytes && !self.mutate() {
            fill_ty = spill_ty;
        }
        let slot = 8 * (2 + self.below(6));
        emit!(self, "r1 = {}", self.below(1 << 16));
        let reg = if spill_bytes == 8 { "r1" } else { "w1" };
        let fill_reg = if fill_ty == "u64" { "r2" } else { "w2" };
        emit!(self, "*({spill_ty} *)(r10 - {slot}) = {reg}");
        emit!(self, "{fill_reg} = *({fill_ty} *)(r10 - {slot})");
        // The filled value indexes a 64-byte buffer the program initialised.
        for at in (0..64).step_by(8) {
            emit!(self, "*(u64 *)(r10 - {}) = 0", 128 - at);
        }
        let mask = if self.mutate() { 127 } else { 63 };
        emit!(self, "r2 &= {mask}");
        self.line("r3 = r10");
        self.line("r3 += -128");
        self.line("r3 += r2");
        self.line("r0 = *(u8 *)(r3 + 0)");
    }

    /// The context pointer spilled, filled (whole, or partly by a mutation) and used.
    fn pointer_spill(&mut self) {
        let slot = 8 * (2 + self.below(6));
        emit!(self, "*(u64 *)(r10 - {slot}) = r6");
        if self.mutate() {
            match self.below(3) {
                0 => emit!(self, "r1 = *(u32 *)(r10 - {slot})"),
                1 => {
                    emit!(self, "*(u32 *)(r10 - {slot}) = 0");
                    emit!(self, "r1 = *(u64 *)(r10 - {slot})");
                }
                _ => emit!(self, "r1 = *(u64 *)(r10 - {})", slot + 4),
            }
        } else {
            emit!(self, "r1 = *(u64 *)(r10 - {slot})");
        }
        let field = self.context_field();
        emit!(self, "r0 = *(u32 *)(r1 + {field})");
    }

    /// The packet pointer spilled, then overwritten (or not) by a helper writing into the
    /// stack, filled and dereferenced after a check.
    fn packet_pointer_spill(&mut self) {
        let skip = self.label("skip");
        self.line("*(u64 *)(r10 - 8) = r7");
        if self.is_skb() && self.rng.chance(50) {
            // The helper writes 8 bytes at a variable offset below the spill, or over it.
            self.line("*(u64 *)(r10 - 16) = 0");
            self.unknown_r0();
            self.line("r0 &= 8");
            if !self.mutate() {
                self.line("r0 = 0");
            }
            self.line("r3 = r10");
            self.line("r3 += -16");
            self.line("r3 += r0");
            self.line("r1 = r6");
            self.line("r2 = 0");
            self.line("r4 = 8");
            self.line("call 26");
        } else {
            self.line("r1 = 0");
            self.line("*(u64 *)(r10 - 16) = r1");
        }
        self.line("r1 = *(u64 *)(r10 - 8)");
        self.line("r2 = r1");
        self.line("r2 += 4");
        self.bounds_check("r2", "r8", &skip);
        self.line("r0 = *(u32 *)(r1 + 0)");
        self.place(&skip);
    }

    /// A load or store of `.data` or `.rodata`; a value read from `.data` used as an index.
    fn global_data(&mut self) {
        let (map, size) = if self.rng.chance(60) { (DATA_MAP, DATA_SIZE) } else { (RODATA_MAP, RODATA_SIZE) };
        let size = i64::from(size);
        let (ty, bytes) = self.size();
        let mut offset = self.below((size - bytes + 1) as u64);
        if self.mutate() {
            offset = size - bytes + 1 + self.below(4);
        }
        emit!(self, "ld_pseudo r1, 0x6, {map}, 0");
        match self.below(3) {
            0 => emit!(self, "r0 = *({ty} *)(r1 {})", signed(offset)),
            1 if map == DATA_MAP || self.mutate() => {
                emit!(self, "*({ty} *)(r1 {}) = {}", signed(offset), self.below(100))
            }
            _ => {
                // The byte at 0 (4 in the file) or at 8 (16) as an index into the stack.
                let at = if self.rng.chance(50) { 0 } else { 8 };
                emit!(self, "r2 = *(u8 *)(r1 + {at})");
                if !(map == DATA_MAP && self.mutate()) {
                    self.line("r2 &= 15");
                }
                for slot in [16, 24] {
                    emit!(self, "*(u64 *)(r10 - {slot}) = 0");
                }
                self.line("r3 = r10");
                self.line("r3 += -24");
                self.line("r3 += r2");
                self.line("r0 = *(u8 *)(r3 + 0)");
            }
        }
    }

    /// An unknown number in `r0` (and `r1`-`r5` clobbered or kept, as a helper call would):
    /// a `get_prandom_u32` result, or a context word each input chooses (helper results
    /// repeat from run to run, since every run starts from a fresh interpreter state, so
    /// most of the variety comes from the input).
    fn unknown_r0(&mut self) {
        if self.rng.chance(30) {
            self.line("call 7");
            return;
        }
        match self.program_type {
            // egress_ifindex (20) is for devmap programs only.
            ProgramType::Xdp => emit!(self, "r0 = *(u32 *)(r6 + {})", [12, 16][self.below(2) as usize]),
            ProgramType::Kprobe => emit!(self, "r0 = *(u64 *)(r6 + {})", 8 * self.below(21)),
            _ => emit!(self, "r0 = *(u32 *)(r6 + {})", [8, 32, 48, 52, 56, 60, 64][self.below(7) as usize]),
        }
    }

    /// An aligned 4-byte field of the context that programs may read.
    fn context_field(&mut self) -> i64 {
        match self.program_type {
            ProgramType::Xdp => [12, 16][self.below(2) as usize],
            ProgramType::Kprobe => 8 * self.below(21),
            // Socket filters may not read tc_classid (72).
            ProgramType::SocketFilter => 4 * self.below(18),
            _ => 4 * self.below(19),
        }
    }

    /// A read of a context field, at its own offset or (mutated) beside it.
    fn context_read(&mut self) {
        let mut field = self.context_field();
        let mut ty = if self.program_type == ProgramType::Kprobe { "u64" } else { "u32" };
        if self.mutate() {
            match self.below(3) {
                0 => field += 2,
                1 => field = [-8, 200, 1024][self.below(3) as usize],
                _ => ty = "u64",
            }
        }
        emit!(self, "r0 = *({ty} *)(r6 {})", signed(field));
        if self.program_type == ProgramType::SchedCls && self.rng.chance(30) {
            // `mark` is writable from tc; `len` is not.
            let target = if self.mutate() { 0 } else { 8 };
            emit!(self, "*(u32 *)(r6 + {target}) = w0");
        }
    }

    /// A subprogram that writes through a stack pointer the caller passes.
    fn call_with_stack_pointer(&mut self) {
        let name = self.label("write");
        let (ty, bytes) = self.size();
        let slot = 8 * (1 + self.below(8));
        let mut at = slot;
        if self.mutate() {
            at = bytes - 1 - self.below(bytes as u64);
        }
        self.line("r1 = r10");
        emit!(self, "r1 += {}", -at);
        emit!(self, "r2 = {}", self.below(1000));
        emit!(self, "call {name}");
        emit!(self, "r0 = *({ty} *)(r10 - {slot})");
        let mut body = format!("{name}:\n");
        let _ = writeln!(body, "*({ty} *)(r1 + 0) = {}", if bytes == 8 { "r2" } else { "w2" });
        if self.rng.chance(30) {
            // Uses its own frame too: the combined depth counts.
            let own = if self.mutate() { 512 } else { 64 };
            let _ = writeln!(body, "*(u64 *)(r10 - {own}) = r2");
        }
        body.push_str("r0 = 0\nexit");
        self.subprograms.push(body);
    }

    /// A subprogram that gets `data` and `data_end`, checks and reads; the caller then reads
    /// (a mutation: more than the callee checked, relying on the callee's check).
    fn call_with_packet(&mut self) {
        let name = self.label("peek");
        let skip = self.label("skip");
        let checked = 1 + self.below(16);
        self.line("r1 = r7");
        self.line("r2 = r8");
        emit!(self, "call {name}");
        if self.mutate() {
            emit!(self, "r0 = *(u8 *)(r7 + {})", checked - 1);
        } else {
            let check = self.label("callerskip");
            self.line("r1 = r7");
            emit!(self, "r1 += {checked}");
            emit!(self, "if r1 > r8 goto {check}");
            emit!(self, "r0 = *(u8 *)(r7 + {})", checked - 1);
            self.place(&check);
        }
        let mut body = format!("{name}:\nr0 = 0\nr3 = r1\nr3 += {checked}\n");
        let _ = write!(body, "if r3 > r2 goto {skip}\nr0 = *(u8 *)(r1 + {})\n{skip}:\nexit", checked - 1);
        self.subprograms.push(body);
    }

    /// A map value passed to a subprogram that reads and writes it (a mutation: past its
    /// end, or before the caller's NULL check).
    fn call_with_map_value(&mut self) {
        let (name, skip) = (self.label("use"), self.label("skip"));
        let (ty, bytes) = self.size();
        let size = i64::from(ARRAY_VALUE_SIZE);
        let mut offset = self.below((size - bytes + 1) as u64);
        emit!(self, "*(u32 *)(r10 - 4) = {}", self.below(u64::from(ARRAY_ENTRIES) + 1));
        self.line("r2 = r10");
        self.line("r2 += -4");
        emit!(self, "ld_pseudo r1, 0x5, {ARRAY_MAP}");
        self.line("call 1");
        let mutated = self.mutate();
        let unchecked = mutated && self.rng.chance(50);
        if mutated && !unchecked {
            offset = size - bytes + 1 + self.below(4);
        }
        if !unchecked {
            emit!(self, "if r0 == 0 goto {skip}");
        }
        self.line("r1 = r0");
        emit!(self, "call {name}");
        self.place(&skip);
        let value = if bytes == 8 { "r2" } else { "w2" };
        self.subprograms.push(format!(
            "{name}:\nr2 = *({ty} *)(r1 + {offset})\nr2 += 1\n*({ty} *)(r1 + {offset}) = {value}\nr0 = 0\nexit"
        ));
    }

    /// `callx` through a register, a spilled address, or a table on the stack.
    fn callx(&mut self) {
        let (a, b) = (self.label("fa"), self.label("fb"));
        for name in [&a, &b] {
            let value = self.below(100);
            self.subprograms.push(format!("{name}:\nr0 = r1\nr0 += {value}\nexit"));
        }
        self.line("r1 = 5");
        match self.below(3) {
            0 => {
                let chosen = self.label("chosen");
                self.unknown_r0();
                emit!(self, "r3 = {a} ll");
                emit!(self, "if r0 > 100 goto {chosen}");
                emit!(self, "r3 = {b} ll");
                self.place(&chosen);
                if self.mutate() {
                    self.line("r3 += 8");
                }
                self.line("r1 = 5");
                self.line("callx r3");
            }
            1 => {
                emit!(self, "r3 = {a} ll");
                self.line("*(u64 *)(r10 - 8) = r3");
                self.line("r3 = *(u64 *)(r10 - 8)");
                if self.mutate() {
                    self.line("*(u32 *)(r10 - 8) = 0");
                    self.line("r3 = *(u64 *)(r10 - 8)");
                }
                self.line("callx r3");
            }
            _ => {
                emit!(self, "r3 = {a} ll");
                self.line("*(u64 *)(r10 - 16) = r3");
                emit!(self, "r3 = {b} ll");
                self.line("*(u64 *)(r10 - 8) = r3");
                self.unknown_r0();
                let mask = if self.mutate() { 12 } else { 8 };
                emit!(self, "r0 &= {mask}");
                self.line("r3 = r10");
                self.line("r3 += -16");
                self.line("r3 += r0");
                self.line("r3 = *(u64 *)(r3 + 0)");
                self.line("r1 = 5");
                self.line("callx r3");
            }
        }
    }

    /// A dense switch through a jump table and `gotox`.
    fn gotox(&mut self) {
        let table = self.label("JT");
        let end = self.label("end");
        let cases: Vec<String> = (0..4).map(|_| self.label("case")).collect();
        self.tables.push(format!(".jumptable {table} {}", cases.join(", ")));
        self.unknown_r0();
        let (mask, shift) = if self.mutate() { ([7, 3][self.below(2) as usize], 2) } else { (3, 3) };
        emit!(self, "r0 &= {mask}");
        emit!(self, "r0 <<= {shift}");
        emit!(self, "r1 = {table} ll");
        self.line("r1 += r0");
        self.line("r1 = *(u64 *)(r1 + 0)");
        self.line("gotox r1");
        for (i, case) in cases.iter().enumerate() {
            self.place(case);
            emit!(self, "r0 = {i}");
            emit!(self, "goto {end}");
        }
        self.place(&end);
    }

    /// A bounded loop filling a stack buffer at an index.
    fn stack_loop(&mut self) {
        let head = self.label("loop");
        let bound = 1 + self.below(8);
        let limit = if self.mutate() { bound + 1 } else { bound };
        self.line("r1 = 0");
        self.place(&head);
        self.line("r2 = r1");
        self.line("r2 <<= 3");
        self.line("r3 = r10");
        emit!(self, "r3 += {}", -8 * bound - 8);
        self.line("r3 += r2");
        self.line("*(u64 *)(r3 + 0) = r1");
        self.line("r1 += 1");
        emit!(self, "if r1 < {limit} goto {head}");
    }

    /// Looks up the array map's first value: `r9` points at it, or the program jumps to
    /// `skip` when the lookup fails.
    fn array_value_in_r9(&mut self, skip: &str) {
        self.line("*(u32 *)(r10 - 4) = 0");
        self.line("r2 = r10");
        self.line("r2 += -4");
        emit!(self, "ld_pseudo r1, 0x5, {ARRAY_MAP}");
        self.line("call 1");
        emit!(self, "if r0 == 0 goto {skip}");
        self.line("r9 = r0");
    }

    /// A helper's result, masked, as an index into a map value.
    fn random_index(&mut self) {
        let skip = self.label("skip");
        self.array_value_in_r9(&skip);
        self.unknown_r0();
        let mask = if self.mutate() { 63 } else { 31 };
        let compare = self.rng.chance(50);
        if compare {
            // A bound by comparison instead of a mask, in one of its widths and signs.
            let spellings = if self.mutate() { 3 } else { 2 };
            let check = ["if r0 > 40 goto", "if w0 > 40 goto", "if r0 s> 40 goto"][self.below(spellings) as usize];
            emit!(self, "{check} {skip}");
        } else {
            emit!(self, "r0 &= {mask}");
        }
        self.line("r9 += r0");
        self.line("r0 = *(u64 *)(r9 + 0)");
        self.place(&skip);
    }

    /// An index bounded through a copy moved by a constant (`r1 = r0; r1 += c; if r1 > c +
    /// 40`) and the original used, as linked scalars (`--domain eq`) prove. Mutations move the
    /// copy in 32 bits, write the index after the check, or loosen the bound.
    fn linked_index(&mut self) {
        let skip = self.label("skip");
        self.array_value_in_r9(&skip);
        self.unknown_r0();
        let c = self.below(64) - 32;
        self.line("r1 = r0");
        let mutation = if self.mutate() { 1 + self.below(3) } else { 0 };
        emit!(self, "{} += {c}", if mutation == 1 { "w1" } else { "r1" });
        let bound = c + if mutation == 3 { 48 } else { 40 };
        emit!(self, "if r1 > {bound} goto {skip}");
        if mutation == 2 {
            self.line("r0 += 16");
        }
        self.line("r9 += r0");
        self.line("r0 = *(u64 *)(r9 + 0)");
        self.place(&skip);
    }

    /// Arithmetic on scalars, with a division by a value that may be zero.
    fn scalar_noise(&mut self) {
        self.unknown_r0();
        let ops = ["+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<=", ">>=", "s>>="];
        for _ in 0..1 + self.below(4) {
            let op = ops[self.below(ops.len() as u64) as usize];
            let value = match op {
                "<<=" | ">>=" | "s>>=" => self.below(64),
                _ => self.below(1 << 20) - (1 << 10),
            };
            let reg = if self.rng.chance(30) { "w0" } else { "r0" };
            emit!(self, "{reg} {op} {value}");
        }
    }

    /// A map value kept in `r9` across a call of a subprogram that looks the key up again
    /// or (a mutation) deletes it.
    fn value_after_call(&mut self) {
        let skip = self.label("skip");
        let callee = self.label("again");
        let key = self.below(4);
        let lookup = |key: i64| format!("*(u32 *)(r10 - 4) = {key}\nr2 = r10\nr2 += -4\nld_pseudo r1, 0x5, {HASH_MAP}");
        for line in lookup(key).lines() {
            self.line(line);
        }
        self.line("call 1");
        emit!(self, "if r0 == 0 goto {skip}");
        self.line("r9 = r0");
        emit!(self, "call {callee}");
        self.line("r0 = *(u64 *)(r9 + 0)");
        self.place(&skip);
        let helper = if self.mutate() { 3 } else { 1 };
        self.subprograms.push(format!("{callee}:\n{}\ncall {helper}\nr0 = 0\nexit", lookup(key)));
    }

    /// Two results of one lookup site, from two iterations of a loop: the first kept, the
    /// second NULL-checked; the first is used only after its own check (a mutation drops
    /// it: checking one result says nothing of the other).
    fn lookups_in_a_loop(&mut self) {
        let (head, second, out) = (self.label("loop"), self.label("second"), self.label("out"));
        self.line("r9 = 0");
        self.line("*(u64 *)(r10 - 32) = 0");
        self.place(&head);
        self.line("r1 = *(u64 *)(r10 - 32)");
        self.line("*(u32 *)(r10 - 4) = w1");
        self.line("r2 = r10");
        self.line("r2 += -4");
        emit!(self, "ld_pseudo r1, 0x5, {HASH_MAP}");
        self.line("call 1");
        self.line("r1 = *(u64 *)(r10 - 32)");
        emit!(self, "if r1 != 0 goto {second}");
        self.line("r9 = r0");
        self.line("r1 += 1");
        self.line("*(u64 *)(r10 - 32) = r1");
        emit!(self, "goto {head}");
        self.place(&second);
        emit!(self, "if r0 == 0 goto {out}");
        if !self.mutate() {
            emit!(self, "if r9 == 0 goto {out}");
        }
        self.line("r0 = *(u64 *)(r9 + 0)");
        self.place(&out);
    }

    /// The context pointer or NULL, chosen at run time, NULL-checked before its use.
    fn maybe_null_context(&mut self) {
        let (chosen, skip) = (self.label("chosen"), self.label("skip"));
        let field = self.context_field();
        let ty = if self.program_type == ProgramType::Kprobe { "u64" } else { "u32" };
        self.unknown_r0();
        self.line("r1 = 0");
        emit!(self, "if r0 > 1000 goto {chosen}");
        self.line("r1 = r6");
        self.place(&chosen);
        if !self.mutate() {
            emit!(self, "if r1 == 0 goto {skip}");
        }
        emit!(self, "r0 = *({ty} *)(r1 + {field})");
        self.place(&skip);
    }

    /// `skb_load_bytes` into the stack.
    fn skb_load_bytes(&mut self) {
        let len = 1 + self.below(32);
        let mut at = 32;
        if self.mutate() {
            at = len - 1 - self.below(len as u64).min(len - 1);
        }
        self.line("r1 = r6");
        emit!(self, "r2 = {}", self.below(64));
        self.line("r3 = r10");
        emit!(self, "r3 += {}", -at);
        emit!(self, "r4 = {len}");
        self.line("call 26");
        if at >= 8 {
            emit!(self, "r0 = *(u8 *)(r10 - {at})");
        }
    }

    /// `LD_ABS` and `LD_IND` (which end the program with 0 on a short packet).
    fn load_abs(&mut self) {
        let (ty, _) = SIZES[self.below(3) as usize];
        if self.rng.chance(50) {
            emit!(self, "r0 = *({ty} *)skb[{}]", self.below(64));
        } else {
            self.line("r0 = *(u8 *)skb[0]");
            self.line("r1 = r0");
            emit!(self, "r0 = *({ty} *)skb[r1 + {}]", self.below(16));
        }
    }
}

/// `+ n` or `- n`, as an address offset is written.
fn signed(n: i64) -> String {
    if n < 0 { format!("- {}", -n) } else { format!("+ {n}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment;

    #[test]
    fn every_generated_program_is_valid_bytecode() {
        let config = GenConfig { mutation_percent: 30, max_idioms: 8 };
        let mut types = std::collections::BTreeSet::new();
        for seed in 0..2000 {
            let case = generate(seed, &config);
            types.insert(case.program_type.name());
            if let Err(error) = environment::object(case.program_type, &case.text) {
                panic!("seed {seed}: {error}\n{}", case.text);
            }
        }
        assert_eq!(types.len(), PROGRAM_TYPES.len(), "{types:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_program() {
        let config = GenConfig::standard();
        assert_eq!(generate(7, &config), generate(7, &config));
        assert_ne!(generate(7, &config).text, generate(8, &config).text);
    }

    #[test]
    fn programs_contain_every_idiom() {
        let config = GenConfig::standard();
        let text: String = (0..3000).map(|seed| generate(seed, &config).text).collect();
        for needle in [
            "call 1\n",
            "call 2\n",
            "callx r3",
            "gotox r1",
            ".jumptable",
            "skb[",
            "call 26",
            "r8 goto",
            "r5 = *(u64 *)(r10 -",
        ] {
            assert!(text.contains(needle), "no program has `{needle}`");
        }
    }
}
