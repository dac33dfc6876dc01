/* perf_event: a sampling profiler: counts samples per (pid, stack id) and reads the sampled
 * counter with bpf_perf_prog_read_value. */
#include "bpf_types.h"

struct sample_key {
	u32 pid;
	s32 stack_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sample_key);
	__type(value, u64);
} samples SEC(".maps");

struct {
	__uint(type, 7); /* BPF_MAP_TYPE_STACK_TRACE */
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

SEC("perf_event")
int perf_sample(struct bpf_perf_event_data *ctx)
{
	struct sample_key key = {};
	struct bpf_perf_event_value value;
	u64 one = 1;
	u64 *count;

	if (ctx->sample_period == 0)
		return 0;
	if (bpf_perf_prog_read_value(ctx, &value, sizeof(value)) < 0)
		return 0;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.stack_id = bpf_get_stackid(ctx, &stacks, 0);
	count = bpf_map_lookup_elem(&samples, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
