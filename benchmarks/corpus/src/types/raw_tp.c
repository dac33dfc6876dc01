/* Raw tracepoint sys_enter: the arguments are (struct pt_regs *regs, long id); counts system
 * calls by number for numbers below 512. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u64);
} syscalls SEC(".maps");

SEC("raw_tp/sys_enter")
int raw_tp_sys_enter(u64 *ctx)
{
	u64 id = ctx[1];
	u32 key;
	u64 *count;

	if (id >= 512)
		return 0;
	key = id;
	count = bpf_map_lookup_elem(&syscalls, &key);
	if (count)
		*count += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
