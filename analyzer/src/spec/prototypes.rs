//! Helper prototypes, read from the data file `spec/helpers.toml` (compiled in; see its
//! header for every kind). Kfuncs are data in `semantics::model::kfuncs`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// What a helper or kfunc argument must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgKind {
    /// Any initialised value.
    Anything,
    /// An initialised number.
    Scalar,
    /// A map handle.
    Map,
    /// Readable, initialised memory of the map argument's key size.
    MapKey,
    /// Readable, initialised memory of the map argument's value size.
    MapValue,
    /// Readable, initialised memory sized by the next argument.
    Mem,
    /// Writable memory sized by the next argument, filled by the call.
    MemUninit,
    /// The size of the memory argument before it, at least 1.
    Size,
    /// The size of the memory argument before it; 0 allowed (and then a NULL pointer).
    SizeOrZero,
    /// A size known exactly.
    ConstSize,
    /// The program's context pointer.
    Ctx,
    /// The address of a static subprogram.
    Callback,
    /// Any pointer, or 0.
    PtrOrNull,
    /// A non-NULL pointer to at least one accessible byte.
    Pointer,
    /// A non-NULL ring-buffer record at offset 0; the call releases it.
    RingbufMem,
    /// The constant 0.
    Zero,
}

/// Arguments the kernel supplies itself after the visible ones (KF_IMPLICIT_ARGS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImplicitArg {
    /// The calling program's `struct bpf_prog_aux *`.
    ProgAux,
}

/// What r0 holds after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(untagged)]
pub enum RetKind {
    /// A named kind.
    Named(NamedRet),
    /// A signed range `[lo, hi]`.
    Range([i64; 2]),
}

/// The named return kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NamedRet {
    /// Any number.
    Scalar,
    /// Nothing: r0 is undefined.
    Void,
    /// A pointer to the map argument's value, or NULL.
    MapValueOrNull,
    /// A ring-buffer record of the `const-size` argument's size, or NULL.
    RingbufMemOrNull,
}

/// A helper's or kfunc's prototype.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Prototype {
    /// Helper number (absent for kfuncs).
    #[serde(default)]
    pub id: Option<i32>,
    /// Its name (without `bpf_` for helpers; the symbol for kfuncs).
    pub name: String,
    /// The visible arguments, r1 first.
    pub args: Vec<ArgKind>,
    /// How many trailing `args` may be left out (variadic helpers such as trace_printk).
    #[serde(default)]
    pub optional_args: usize,
    /// Arguments the kernel adds after the visible ones.
    #[serde(default)]
    pub implicit: Vec<ImplicitArg>,
    /// What r0 holds afterwards.
    pub ret: RetKind,
    /// Whether the call may move or resize the packet.
    #[serde(default)]
    pub changes_packet: bool,
    /// The range a callback argument's return value must lie in.
    #[serde(default)]
    pub callback_return: Option<[i64; 2]>,
    /// The kinds of map the `map` argument may be (any when empty).
    #[serde(default)]
    pub map_kinds: Vec<MapKindName>,
    /// Whether pointers to the map argument's values may dangle after the call.
    #[serde(default)]
    pub invalidates_map_values: bool,
    /// Whether a successful call replaces the running function by another program, whose
    /// `r0` the function's caller receives (`bpf_tail_call` from a subprogram).
    #[serde(default)]
    pub tail_call: bool,
    /// Whether the call opens or closes an RCU read section.
    #[serde(default)]
    pub rcu: Option<RcuEffect>,
}

/// What a call does to the RCU read sections (`bpf_rcu_read_lock`/`_unlock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcuEffect {
    /// Opens one.
    Lock,
    /// Closes the innermost one, which must be open.
    Unlock,
}

/// A kind of map, as prototypes name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKindName {
    /// Arrays (and per-CPU arrays).
    Array,
    /// Hash tables (plain, per-CPU, LRU).
    Hash,
    /// Global data sections.
    GlobalData,
    /// Ring buffers.
    Ringbuf,
    /// Perf event arrays.
    PerfEventArray,
}

impl MapKindName {
    /// Whether the interpreter's model `kind` is this kind.
    pub fn matches(self, kind: bpfprove_semantics::interp::maps::MapKind) -> bool {
        use bpfprove_semantics::interp::maps::MapKind;
        matches!(
            (self, kind),
            (MapKindName::Array, MapKind::Array)
                | (MapKindName::Hash, MapKind::Hash)
                | (MapKindName::GlobalData, MapKind::GlobalData)
                | (MapKindName::Ringbuf, MapKind::RingBuffer)
                | (MapKindName::PerfEventArray, MapKind::PerfEventArray)
        )
    }
}

#[derive(Deserialize)]
struct HelperFile {
    helper: Vec<Prototype>,
}

/// The prototype tables.
#[derive(Debug)]
pub struct Prototypes {
    helpers: BTreeMap<i32, Prototype>,
}

const HELPERS_TOML: &str = include_str!("../../spec/helpers.toml");

impl Prototypes {
    /// The compiled-in tables.
    pub fn builtin() -> &'static Prototypes {
        static TABLES: OnceLock<Prototypes> = OnceLock::new();
        TABLES.get_or_init(|| {
            // The data files are part of the build; a test parses them, so this cannot fail
            // in a tested build.
            Prototypes::parse(HELPERS_TOML).expect("spec/helpers.toml parses (checked by a unit test)")
        })
    }

    /// Parses the helper table.
    pub fn parse(helpers: &str) -> Result<Prototypes, String> {
        let helpers: HelperFile = toml::from_str(helpers).map_err(|e| format!("helpers.toml: {e}"))?;
        let mut by_id = BTreeMap::new();
        for helper in helpers.helper {
            let id = helper.id.ok_or_else(|| format!("helpers.toml: `{}` has no id", helper.name))?;
            check_shape(&helper)?;
            if by_id.insert(id, helper).is_some() {
                return Err(format!("helpers.toml: helper {id} listed twice"));
            }
        }
        Ok(Prototypes { helpers: by_id })
    }

    /// Helper number `id`.
    pub fn helper(&self, id: i32) -> Option<&Prototype> {
        self.helpers.get(&id)
    }

    /// Every helper, by number.
    pub fn helpers(&self) -> impl Iterator<Item = &Prototype> {
        self.helpers.values()
    }
}

/// Checks what the analyzer relies on: at most five register arguments, and every size
/// argument following a memory argument.
fn check_shape(proto: &Prototype) -> Result<(), String> {
    if proto.args.len() > 5 {
        return Err(format!("`{}` has more than five arguments", proto.name));
    }
    for (i, arg) in proto.args.iter().enumerate() {
        let needs_memory_before = matches!(arg, ArgKind::Size | ArgKind::SizeOrZero);
        if needs_memory_before
            && !matches!(i.checked_sub(1).map(|j| proto.args[j]), Some(ArgKind::Mem | ArgKind::MemUninit))
        {
            return Err(format!("`{}`: argument {} is a size without a memory argument before it", proto.name, i + 1));
        }
        let needs_size_after = matches!(arg, ArgKind::Mem | ArgKind::MemUninit);
        if needs_size_after && !matches!(proto.args.get(i + 1), Some(ArgKind::Size | ArgKind::SizeOrZero)) {
            return Err(format!("`{}`: memory argument {} has no size after it", proto.name, i + 1));
        }
    }
    if proto.optional_args > proto.args.len() {
        return Err(format!("`{}`: more optional arguments than arguments", proto.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_parse_and_cover_the_corpus() {
        let tables = Prototypes::parse(HELPERS_TOML).expect("tables parse");
        assert!(tables.helpers().count() >= 30);
        // Every helper the corpus calls.
        for id in [1, 2, 3, 5, 6, 14, 15, 16, 25, 113, 114, 131, 132, 181] {
            assert!(tables.helper(id).is_some(), "helper {id}");
        }
        let lookup = tables.helper(1).expect("map_lookup_elem");
        assert_eq!(lookup.args, vec![ArgKind::Map, ArgKind::MapKey]);
        assert_eq!(lookup.ret, RetKind::Named(NamedRet::MapValueOrNull));
        assert_eq!(tables.helper(7).expect("prandom").ret, RetKind::Range([0, 4294967295]));
    }

    #[test]
    fn malformed_tables_are_refused() {
        let no_size = "[[helper]]\nid = 1\nname = \"x\"\nargs = [\"mem\"]\nret = \"scalar\"\n";
        assert!(Prototypes::parse(no_size).unwrap_err().contains("no size"));
        let twice = "[[helper]]\nid = 1\nname = \"x\"\nargs = []\nret = \"scalar\"\n".repeat(2);
        assert!(Prototypes::parse(&twice).unwrap_err().contains("twice"));
        let unknown = "[[helper]]\nid = 1\nname = \"x\"\nargs = [\"frobnicate\"]\nret = \"scalar\"\n";
        assert!(Prototypes::parse(unknown).is_err());
    }
}

#[cfg(test)]
mod environment_agreement {
    use bpfprove_semantics::interp::availability::HELPER_TABLES;
    use bpfprove_semantics::interp::kernel_helpers::{helper_name, kfunc_implemented};
    use bpfprove_semantics::model::kfuncs::{BUILTINS, KFUNCS};

    use super::Prototypes;

    /// Every helper and kfunc the analyzer accepts is one the interpreter runs and one
    /// the availability tables place, under the same name; and every helper the tables
    /// place has a prototype.
    #[test]
    fn every_accepted_helper_and_kfunc_has_an_interpreter_model_and_an_availability() {
        let tables = Prototypes::builtin();
        for proto in tables.helpers() {
            let id = proto.id.expect("helpers have ids");
            assert_eq!(
                helper_name(id),
                Some(proto.name.as_str()),
                "helper {id} ({}) has no interpreter model",
                proto.name
            );
            let placed = HELPER_TABLES.iter().find(|h| h.0 == id);
            assert_eq!(placed.map(|h| h.1), Some(proto.name.as_str()), "helper {id} has no availability");
        }
        for &(id, name, _) in HELPER_TABLES {
            assert!(tables.helper(id).is_some(), "helper {id} ({name}) is available but has no prototype");
        }
        for name in KFUNCS.iter().map(|k| k.name).chain(BUILTINS.iter().map(|b| b.0)) {
            assert!(kfunc_implemented(name), "kfunc {name} has no interpreter model");
        }
    }
}
