//! What a bench run covers: object files (read by the caller), their programs, and a
//! deterministic shard of them.

use std::path::PathBuf;

use bpfprove_semantics::elf::{self, Object};

use crate::error::BenchError;

/// An object file as the caller read it.
#[derive(Clone, Debug)]
pub struct SuiteFile {
    /// Its name in the output: the path relative to the directory it was found under, or as
    /// given on the command line.
    pub name: String,
    /// Where it is (PREVAIL reads the file itself).
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// `--shard K/N`: the K-th of N slices (1-based). Programs are dealt out in (file, program)
/// order, one to each slice in turn, so slices are the same on every machine and balanced
/// whatever the order of files is on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Parses `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, BenchError> {
        let bad = || BenchError::BadArgument(format!("shard `{text}`: expected K/N with 1 <= K <= N"));
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the `position`-th program (0-based, in (file, program) order) is in this slice.
    pub fn takes(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

/// A file whose object loaded.
pub struct LoadedFile<'f> {
    /// The file.
    pub file: &'f SuiteFile,
    /// Its object.
    pub object: Object,
}

/// Loads every file, sorted by name; files that are not loadable objects, and programs
/// that cannot be loaded (as `FILE/PROGRAM`), are returned apart with the reason.
pub fn load(files: &[SuiteFile]) -> (Vec<LoadedFile<'_>>, Vec<(String, String)>) {
    let mut sorted: Vec<&SuiteFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut loaded = Vec::new();
    let mut skipped = Vec::new();
    for file in sorted {
        match elf::load(&file.bytes) {
            Ok(object) => {
                for failed in &object.failed_programs {
                    skipped.push((format!("{}/{}", file.name, failed.name), failed.error.to_string()));
                }
                loaded.push(LoadedFile { file, object })
            }
            Err(error) => skipped.push((file.name.clone(), error.to_string())),
        }
    }
    (loaded, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_programs() {
        let shards: Vec<Shard> = (1..=3).map(|k| Shard::parse(&format!("{k}/3")).unwrap()).collect();
        for position in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.takes(position)).count(), 1);
        }
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("1-3").is_err());
    }
}
