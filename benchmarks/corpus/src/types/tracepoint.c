/* Tracepoint sched:sched_process_exec: the raw record's filename is a __data_loc (offset in
 * the low 16 bits, from the record's start); copies the name into a per-cpu buffer and
 * emits it as a perf event. */
#include "bpf_types.h"

struct sched_process_exec_record {
	u64 common;
	u32 filename_loc;
	s32 pid;
	s32 old_pid;
};

struct exec_event {
	s32 pid;
	char filename[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} exec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct exec_event);
} scratch SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int tp_sched_exec(struct sched_process_exec_record *ctx)
{
	u32 zero = 0;
	struct exec_event *e = bpf_map_lookup_elem(&scratch, &zero);
	u32 offset;

	if (!e)
		return 0;
	e->pid = ctx->pid;
	offset = ctx->filename_loc & 0xffff;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (char *)ctx + offset);
	bpf_perf_event_output(ctx, &exec_events, BPF_F_CURRENT_CPU, e, sizeof(*e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
