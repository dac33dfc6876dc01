//! The map kinds beyond arrays and hash tables: LRU eviction, longest-prefix match, queues
//! and stacks, bloom filters, and maps of maps.

use super::{
    BPF_EXIST, BPF_NOEXIST, HelperError, LPM_PREFIX_BYTES, MapId, MapInsertError, MapKind, MapTable, Memory, Storage,
    errno, map_handle, new_value, region_base,
};
use crate::interp::memory::Access;

impl MapTable {
    /// Records a use of `key` of LRU hash `map` (nothing for other maps).
    pub(super) fn touch(&mut self, map: MapId, key: Vec<u8>) {
        self.clock += 1;
        if let Some(last_use) = &mut self.maps[map.0 as usize].last_use {
            last_use.insert(key, self.clock);
        }
    }

    /// Makes room in full LRU hash `map` by deleting its least recently used entry (its
    /// value becomes inaccessible). False for other maps, which refuse new keys when full.
    pub(super) fn evict_least_recent(&mut self, memory: &mut Memory, map: MapId) -> bool {
        let state = &mut self.maps[map.0 as usize];
        let Some(last_use) = &mut state.last_use else { return false };
        let Some(oldest) = last_use.iter().min_by_key(|(_, tick)| **tick).map(|(key, _)| key.clone()) else {
            return false;
        };
        last_use.remove(&oldest);
        let Storage::Entries(entries) = &mut state.storage else { return false };
        match entries.remove(&oldest) {
            Some(region) => {
                memory.set_access(region, Access::None);
                true
            }
            None => false,
        }
    }

    /// The prefix length and data of LPM trie `map`'s key at `key`, the data cut to the
    /// prefix (bits past it cleared), or `None` when the length exceeds the data's bits.
    fn lpm_key(&self, memory: &Memory, map: MapId, key: u64) -> Result<Option<(u32, Vec<u8>)>, HelperError> {
        let bytes = self.read_key(memory, map, key)?;
        let (prefix, data) = bytes.split_at(LPM_PREFIX_BYTES as usize);
        let prefix_len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        if prefix_len as usize > 8 * data.len() {
            return Ok(None);
        }
        Ok(Some((prefix_len, masked(data, prefix_len))))
    }

    /// `bpf_map_lookup_elem` on an LPM trie: the value of the longest stored prefix that
    /// matches the key's first `prefixlen` bits, or 0.
    pub(super) fn lpm_lookup(&mut self, memory: &Memory, map: MapId, key: u64) -> Result<u64, HelperError> {
        let Some((prefix_len, data)) = self.lpm_key(memory, map, key)? else { return Ok(0) };
        let Storage::Entries(entries) = &self.maps[map.0 as usize].storage else { unreachable!("tries have entries") };
        let best = entries
            .iter()
            .filter_map(|(stored, region)| {
                let stored_len = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
                let matches = stored_len <= prefix_len && masked(&data, stored_len) == stored[4..];
                matches.then_some((stored_len, *region))
            })
            .max_by_key(|(len, _)| *len);
        Ok(best.map_or(0, |(_, region)| region_base(region)))
    }

    /// `bpf_map_update_elem` on an LPM trie.
    pub(super) fn lpm_update(
        &mut self,
        memory: &mut Memory,
        map: MapId,
        key: u64,
        value: u64,
        flags: u64,
    ) -> Result<u64, HelperError> {
        let state = &self.maps[map.0 as usize];
        let (value_size, max_entries) = (state.value_size, state.max_entries);
        let parsed = self.lpm_key(memory, map, key)?;
        let bytes = memory.read(value, value_size as usize)?.to_vec();
        let Some((prefix_len, data)) = parsed else { return Ok(errno::negative(errno::EINVAL)) };
        if flags > BPF_EXIST {
            return Ok(errno::negative(errno::EINVAL));
        }
        let stored = [prefix_len.to_le_bytes().to_vec(), data].concat();
        let Storage::Entries(entries) = &self.maps[map.0 as usize].storage else { unreachable!("tries have entries") };
        let region = match (entries.get(&stored).copied(), flags) {
            (Some(_), BPF_NOEXIST) => return Ok(errno::negative(errno::EEXIST)),
            (None, BPF_EXIST) => return Ok(errno::negative(errno::ENOENT)),
            (Some(region), _) => region,
            (None, _) if entries.len() >= max_entries as usize => return Ok(errno::negative(errno::ENOSPC)),
            (None, _) => {
                let access = self.maps[map.0 as usize].access;
                let Ok(region) = new_value(memory, &mut self.value_bytes, map, value_size, access) else {
                    return Ok(errno::negative(errno::ENOMEM));
                };
                let Storage::Entries(entries) = &mut self.maps[map.0 as usize].storage else {
                    unreachable!("tries have entries")
                };
                entries.insert(stored, region);
                region
            }
        };
        let target = memory.region_mut(region).expect("map values are regions of this memory");
        target.bytes_mut().copy_from_slice(&bytes);
        Ok(0)
    }

    /// `bpf_map_delete_elem` on an LPM trie: removes exactly the key's prefix.
    pub(super) fn lpm_delete(&mut self, memory: &mut Memory, map: MapId, key: u64) -> Result<u64, HelperError> {
        let Some((prefix_len, data)) = self.lpm_key(memory, map, key)? else {
            return Ok(errno::negative(errno::EINVAL));
        };
        let stored = [prefix_len.to_le_bytes().to_vec(), data].concat();
        let Storage::Entries(entries) = &mut self.maps[map.0 as usize].storage else {
            unreachable!("tries have entries")
        };
        match entries.remove(&stored) {
            Some(region) => {
                memory.set_access(region, Access::None);
                Ok(0)
            }
            None => Ok(errno::negative(errno::ENOENT)),
        }
    }

    /// `bpf_map_lookup_elem` on a map of maps: the inner map's handle, or 0.
    pub(super) fn inner_map(&self, memory: &Memory, map: MapId, key: u64) -> Result<u64, HelperError> {
        let key = self.read_key(memory, map, key)?;
        let Storage::Maps(inner) = &self.maps[map.0 as usize].storage else { unreachable!("maps of maps hold maps") };
        Ok(inner.get(&key).map_or(0, |inner| map_handle(*inner)))
    }

    /// Puts inner map `inner` at `key` of map of maps `map` from the host, as user space
    /// does. The loader has checked the object's own initial inner maps against the
    /// template; this checks the host's the same way (type and sizes).
    pub fn insert_inner_map(&mut self, map: MapId, key: &[u8], inner: MapId) -> Result<(), MapInsertError> {
        let state = self.maps.get(map.0 as usize).ok_or(MapInsertError::NoSuchMap(map.0))?;
        let name = state.name.clone();
        if !matches!(state.kind, MapKind::ArrayOfMaps | MapKind::HashOfMaps) {
            return Err(MapInsertError::Unsupported { map: name, kind: state.kind });
        }
        if key.len() != state.key_size as usize {
            return Err(MapInsertError::Size { map: name, what: "key", expected: state.key_size, got: key.len() });
        }
        if state.kind == MapKind::ArrayOfMaps {
            let index = u32::from_le_bytes([key[0], key[1], key[2], key[3]]);
            if index >= state.max_entries {
                return Err(MapInsertError::IndexOutOfRange { map: name, index, max_entries: state.max_entries });
            }
        }
        let template = state.inner_template;
        let matches = |m: MapId| self.maps.get(m.0 as usize).map(|s| (s.map_type, s.key_size, s.value_size));
        if template.is_none() || matches(inner) != template.and_then(matches) {
            return Err(MapInsertError::InnerMismatch { map: name, inner: inner.0 });
        }
        let Storage::Maps(inner_maps) = &mut self.maps[map.0 as usize].storage else {
            unreachable!("maps of maps hold maps")
        };
        inner_maps.insert(key.to_vec(), inner);
        Ok(())
    }

    /// The queue, stack or bloom filter a handle in register 1 names, and its value size.
    fn value_map(&self, handle: u64, kinds: &[MapKind]) -> Result<(MapId, usize), HelperError> {
        let id = self.resolve(handle, 1)?;
        let state = &self.maps[id.0 as usize];
        if !kinds.contains(&state.kind) {
            return Err(HelperError::InvalidArgument { register: 1, value: handle, reason: "wrong map type" });
        }
        Ok((id, state.value_size as usize))
    }

    /// `bpf_map_push_elem(handle, value, flags)` on a queue, a stack or a bloom filter: 0
    /// or a negative errno. A full queue or stack takes the value with `BPF_EXIST` by
    /// dropping its oldest value, as Linux does.
    pub fn push(&mut self, memory: &Memory, handle: u64, value: u64, flags: u64) -> Result<u64, HelperError> {
        let (id, size) = self.value_map(handle, &[MapKind::Queue, MapKind::Stack, MapKind::BloomFilter])?;
        let bytes = memory.read(value, size)?.to_vec();
        let max_entries = self.maps[id.0 as usize].max_entries as usize;
        match &mut self.maps[id.0 as usize].storage {
            Storage::Members(members) => {
                if flags != 0 {
                    return Ok(errno::negative(errno::EINVAL));
                }
                members.insert(bytes);
            }
            Storage::Values(values) => {
                if flags & !BPF_EXIST != 0 {
                    return Ok(errno::negative(errno::EINVAL));
                }
                if values.len() >= max_entries {
                    if flags != BPF_EXIST {
                        return Ok(errno::negative(errno::E2BIG));
                    }
                    values.pop_front();
                }
                values.push_back(bytes);
            }
            _ => unreachable!("queues, stacks and bloom filters hold values"),
        }
        Ok(0)
    }

    /// `bpf_map_pop_elem(handle, value)` on a queue or stack: copies the next value (the
    /// oldest of a queue, the newest of a stack) to `value` and removes it; `-ENOENT`
    /// when empty.
    pub fn pop(&mut self, memory: &mut Memory, handle: u64, value: u64) -> Result<u64, HelperError> {
        self.take(memory, handle, value, true)
    }

    /// `bpf_map_peek_elem(handle, value)`: as [`MapTable::pop`] without removing the
    /// value; on a bloom filter, 0 if the value at `value` was pushed, else `-ENOENT`.
    pub fn peek(&mut self, memory: &mut Memory, handle: u64, value: u64) -> Result<u64, HelperError> {
        self.take(memory, handle, value, false)
    }

    fn take(&mut self, memory: &mut Memory, handle: u64, value: u64, remove: bool) -> Result<u64, HelperError> {
        let kinds: &[MapKind] = if remove {
            &[MapKind::Queue, MapKind::Stack]
        } else {
            &[MapKind::Queue, MapKind::Stack, MapKind::BloomFilter]
        };
        let (id, size) = self.value_map(handle, kinds)?;
        let kind = self.maps[id.0 as usize].kind;
        let next = match &mut self.maps[id.0 as usize].storage {
            Storage::Members(members) => {
                let wanted = memory.read(value, size)?;
                return Ok(if members.contains(wanted) { 0 } else { errno::negative(errno::ENOENT) });
            }
            Storage::Values(values) => match (kind, remove) {
                (MapKind::Queue, true) => values.pop_front(),
                (MapKind::Queue, false) => values.front().cloned(),
                (_, true) => values.pop_back(),
                (_, false) => values.back().cloned(),
            },
            _ => unreachable!("queues and stacks hold values"),
        };
        match next {
            Some(bytes) => {
                memory.write(value, &bytes)?;
                Ok(0)
            }
            None => Ok(errno::negative(errno::ENOENT)),
        }
    }
}

/// `data` with every bit past the first `prefix_len` cleared.
fn masked(data: &[u8], prefix_len: u32) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, &byte)| {
            let kept = (prefix_len as usize).saturating_sub(8 * i).min(8);
            if kept == 0 { 0 } else { byte & (0xffu8 << (8 - kept)) }
        })
        .collect()
}

#[cfg(test)]
mod tests;
