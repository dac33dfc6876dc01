//! An iterator program's context for one call: plain read-only memory holding the
//! addresses of `bpf_iter_meta`, the iterated object and the visited element, as the
//! kernel's `bpf_iter__<target>` holds them. The element's key and value are regions of
//! exactly the iterated map's sizes, so an access past them faults: attaching such a
//! program to such a map is what the kernel refuses.

use super::context::{ContextError, InstalledContext, MAX_POINTEES, OPAQUE_POINTER};
use super::kernel_helpers::KernelHelpers;
use super::memory::{Access, Memory, RegionKind, region_base};
use crate::model::context::iter::IterTarget;
use crate::model::context::{AttachedBuffer, FieldKind};

/// The key and value sizes of the map a map-element iterator is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ElementSizes {
    /// `key_size`.
    pub key: u32,
    /// `value_size`.
    pub value: u32,
}

impl ElementSizes {
    fn of(self, buffer: AttachedBuffer) -> usize {
        match buffer {
            AttachedBuffer::MapKey => self.key as usize,
            AttachedBuffer::MapValue => self.value as usize,
        }
    }
}

/// Adds the context of one call of an iterator over `target` to `memory`: with `element`
/// empty, the call after the last element (every nullable member NULL); otherwise the
/// visited element, its key then its value, of `sizes`.
pub fn install(
    memory: &mut Memory,
    helpers: &mut KernelHelpers,
    target: &'static IterTarget,
    sizes: Option<ElementSizes>,
    element: &[u8],
) -> Result<InstalledContext, ContextError> {
    let has_buffers = target.buffers().next().is_some();
    let visiting = !element.is_empty();
    if visiting && has_buffers {
        let sizes = sizes.ok_or(ContextError::ElementSizesUnknown { target: target.name })?;
        let expected = target.buffers().map(|(_, b)| sizes.of(b)).sum();
        if element.len() != expected {
            return Err(ContextError::ElementLength { target: target.name, len: element.len(), expected });
        }
    } else if visiting {
        return Err(ContextError::ElementLength { target: target.name, len: element.len(), expected: 0 });
    }
    memory.clear_context_view();
    let mut pointees = [None; MAX_POINTEES];
    let mut made = pointees.iter_mut();
    let mut context = vec![0u8; target.layout.size as usize];
    let mut rest = element;
    for field in target.layout.fields {
        let address = match field.kind {
            FieldKind::Struct { target: meta, .. } => {
                let seq = helpers.lend_object(memory, crate::model::kfuncs::ObjectKind::SeqFile)?;
                let mut bytes = vec![0u8; meta.size as usize];
                bytes[..8].copy_from_slice(&seq.to_le_bytes());
                let region = memory.add_region(RegionKind::Other, bytes, Access::ReadOnly)?;
                *made.next().expect("an iterator context points to few regions") = Some(region);
                region_base(region)
            }
            FieldKind::Object { kind, nullable } if visiting || !nullable => helpers.lend_object(memory, kind)?,
            FieldKind::AttachedBuffer { buffer, writable, .. } if visiting => {
                let len = sizes.map_or(0, |s| s.of(buffer));
                let (bytes, after) = rest.split_at(len);
                rest = after;
                let access = if writable { Access::ReadWrite } else { Access::ReadOnly };
                let region = memory.add_region(RegionKind::Other, bytes.to_vec(), access)?;
                *made.next().expect("an iterator context points to few regions") = Some(region);
                region_base(region)
            }
            FieldKind::AttachedBuffer { .. } | FieldKind::Object { nullable: true, .. } => 0,
            _ => OPAQUE_POINTER,
        };
        let start = field.offset as usize;
        context[start..start + 8].copy_from_slice(&address.to_le_bytes());
    }
    drop(made);
    let context = memory.add_region(RegionKind::Context, context, Access::ReadOnly)?;
    Ok(InstalledContext { context, packet: None, pointees })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{LoadedProgram, Object};
    use crate::interp::elf_run::ObjectRunner;
    use crate::interp::{CallxModel, Outcome, RunConfig};
    use crate::model::context::iter::TARGETS;

    const SIZES: ElementSizes = ElementSizes { key: 4, value: 8 };

    /// A `iter/bpf_map_elem` object of LLVM-syntax `text`.
    fn object(text: &str) -> Object {
        let program = crate::asm::llvm::parse(text).expect("valid program");
        Object::of_program(None, Vec::new(), LoadedProgram::bare("iter/bpf_map_elem", "dump", program))
    }

    fn run(object: &Object, element: &[u8]) -> Result<u64, String> {
        let config = RunConfig::new(CallxModel::Address, 10_000);
        let runner = ObjectRunner::new(object, &object.programs[0], config).expect("runs");
        let mut runner = runner.with_element_sizes(SIZES);
        let run = runner.run(element).map_err(|e| e.to_string())?;
        match run.result {
            Ok(Outcome { r0, .. }) => Ok(r0),
            Err(trap) => Err(trap.to_string()),
        }
    }

    /// Returns 1 when the key plus the value's first word, after adding 1 to that word (the
    /// value is writable), is 16; else, and on the call after the last element, 0.
    const SUM: &str = "
        r2 = *(u64 *)(r1 + 16)
        if r2 == 0 goto last
        r3 = *(u64 *)(r1 + 24)
        r0 = *(u32 *)(r2 + 0)
        r4 = *(u32 *)(r3 + 0)
        r4 += 1
        *(u32 *)(r3 + 0) = r4
        r4 = *(u32 *)(r3 + 0)
        r0 += r4
        if r0 != 16 goto last
        r0 = 1
        exit
        last:
        r0 = 0
        exit
    ";

    #[test]
    fn an_element_is_its_key_then_its_value() {
        let object = object(SUM);
        assert_eq!(run(&object, &[5, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0]), Ok(1));
        assert_eq!(run(&object, &[5, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0]), Ok(0));
        assert_eq!(run(&object, &[]), Ok(0));
    }

    #[test]
    fn the_key_is_read_only_and_both_end_at_the_maps_sizes() {
        let write_key = object("r2 = *(u64 *)(r1 + 16)\nr3 = 1\n*(u8 *)(r2 + 0) = r3\nr0 = 0\nexit\n");
        assert!(run(&write_key, &[0; 12]).is_err_and(|e| e.contains("read-only")));
        let past_value = object("r3 = *(u64 *)(r1 + 24)\nr0 = *(u64 *)(r3 + 1)\nr0 = 0\nexit\n");
        assert!(run(&past_value, &[0; 12]).is_err_and(|e| e.contains("out of bounds")));
        let write_context = object("r2 = 0\n*(u64 *)(r1 + 16) = r2\nr0 = 0\nexit\n");
        assert!(run(&write_context, &[]).is_err_and(|e| e.contains("read-only")));
    }

    #[test]
    fn meta_seq_is_the_seq_file_seq_write_takes() {
        let write = "r1 = *(u64 *)(r1 + 0)\nr1 = *(u64 *)(r1 + 0)\nr2 = 7\n*(u64 *)(r10 - 8) = r2\nr2 = r10\nr2 += -8\nr3 = 8\ncall 127\nexit\n";
        assert_eq!(run(&object(write), &[]), Ok(0));
        let writer = object(write);
        let config = RunConfig::new(CallxModel::Address, 10_000);
        let mut runner = ObjectRunner::new(&writer, &writer.programs[0], config).expect("runs");
        let outputs = runner.run(&[]).expect("installs").outputs;
        assert_eq!(outputs, [crate::interp::kernel_helpers::Output::SeqFile(vec![7, 0, 0, 0, 0, 0, 0, 0])]);
        let meta_itself = write.replacen("r1 = *(u64 *)(r1 + 0)\n", "", 1);
        assert!(run(&object(&meta_itself), &[]).is_err_and(|e| e.contains("not a kernel object")));
    }

    #[test]
    fn seq_printf_formats_its_argument_array() {
        let print = |data_len: u32| {
            format!(
                "r6 = r1\nr1 = 0x0a75253d6b ll\n*(u64 *)(r10 - 8) = r1\nr1 = 5\n*(u64 *)(r10 - 16) = r1\n\
                 r1 = *(u64 *)(r6 + 0)\nr1 = *(u64 *)(r1 + 0)\nr2 = r10\nr2 += -8\nr3 = 8\n\
                 r4 = r10\nr4 += -16\nr5 = {data_len}\ncall 126\n\
                 r0 = -r0\nif r0 != 22 goto done\nr0 = 1\nexit\ndone:\nr0 = 0\nexit\n"
            )
        };
        let outputs = |text: &str| {
            let printer = object(text);
            let config = RunConfig::new(CallxModel::Address, 10_000);
            let mut runner = ObjectRunner::new(&printer, &printer.programs[0], config).expect("runs");
            let run = runner.run(&[]).expect("installs");
            (run.result.map(|o| o.r0), run.outputs)
        };
        // r0 is 1 for -EINVAL, else 0.
        let (r0, printed) = outputs(&print(8));
        assert_eq!(r0, Ok(0));
        assert_eq!(printed, [crate::interp::kernel_helpers::Output::SeqFile(b"k=5\n".to_vec())]);
        // No argument for the conversion, or a size that is no whole number of arguments.
        for data_len in [0, 4] {
            let (r0, printed) = outputs(&print(data_len));
            assert_eq!(r0, Ok(1), "data_len {data_len}: -EINVAL");
            assert!(printed.is_empty());
        }
    }

    #[test]
    fn elements_need_the_maps_sizes_and_length() {
        let object = object(SUM);
        let config = RunConfig::new(CallxModel::Address, 10_000);
        let mut unsized_runner = ObjectRunner::new(&object, &object.programs[0], config).expect("runs");
        let error = unsized_runner.run(&[0; 12]).expect_err("no sizes").to_string();
        assert!(error.contains("key and value sizes"), "{error}");
        assert!(run(&object, &[0; 11]).is_err_and(|e| e.contains("11 bytes")));
    }

    #[test]
    fn every_target_fits_the_installed_regions() {
        for target in TARGETS {
            let pointers = target.layout.fields.iter().filter(|f| f.kind.is_pointer()).count();
            assert!(pointers <= MAX_POINTEES, "iter/{}", target.name);
        }
    }
}
