/* BTF tracepoint sched_switch(bool preempt, struct task_struct *prev, struct task_struct
 * *next, ...): records the time each cpu last switched and counts preemptions. */
#include "bpf_types.h"

struct switch_stat {
	u64 last_ns;
	u64 preemptions;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct switch_stat);
} switches SEC(".maps");

SEC("tp_btf/sched_switch")
int tp_btf_sched_switch(u64 *ctx)
{
	u32 zero = 0;
	u64 preempt = ctx[0] & 1;
	struct switch_stat *stat = bpf_map_lookup_elem(&switches, &zero);

	if (!stat)
		return 0;
	stat->last_ns = bpf_ktime_get_ns();
	stat->preemptions += preempt;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
