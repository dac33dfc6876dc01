/* Writable raw tracepoint (raw_tp.w) of a block-layer style event: the program may write its
 * first argument's buffer; here it only reads the arguments and counts events per cpu. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} per_cpu_events SEC(".maps");

SEC("raw_tp.w/bpf_test_finish")
int raw_tp_writable(u64 *ctx)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 *count;

	if (cpu >= 64)
		return 0;
	count = bpf_map_lookup_elem(&per_cpu_events, &cpu);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
