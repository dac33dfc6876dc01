/* Tracing programs with the common helpers: pid/uid/comm, time, user-string reads, ring
 * buffer and perf event output, and a log2 histogram. */
#include "bpf_corpus.h"

struct open_event {
	u32 pid;
	u32 uid;
	u64 ts_ns;
	char comm[16];
	char filename[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} open_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} exec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} size_hist SEC(".maps");

SEC("kprobe/do_sys_openat2")
int kprobe_openat(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32;
	u64 *count = bpf_map_lookup_elem(&open_counts, &pid);
	if (count) {
		__sync_fetch_and_add(count, 1);
	} else {
		u64 one = 1;
		bpf_map_update_elem(&open_counts, &pid, &one, BPF_NOEXIST);
	}
	struct open_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), (const void *)PT_REGS_PARM2(ctx));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The layout of syscalls/sys_enter_* tracepoint records. */
struct sys_enter_ctx {
	u64 common;
	long id;
	unsigned long args[6];
};

struct exec_event {
	u32 pid;
	u32 cpu;
	char comm[16];
	u64 argv0;
};

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_execve(struct sys_enter_ctx *ctx)
{
	struct exec_event ev = {};
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	bpf_probe_read_kernel(&ev.argv0, sizeof(ev.argv0), (const void *)ctx->args[1]);
	bpf_perf_event_output(ctx, &exec_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

SEC("kprobe/tcp_sendmsg")
int kprobe_sendmsg_hist(struct pt_regs *ctx)
{
	u64 size = PT_REGS_PARM3(ctx);
	u32 slot = 0;
	/* Bounded log2: at most 63 halvings. */
#pragma clang loop unroll(disable)
	for (int i = 0; i < 63; i++) {
		if (size <= 1)
			break;
		size >>= 1;
		slot++;
	}
	u64 *bucket = bpf_map_lookup_elem(&size_hist, &slot);
	if (bucket)
		__sync_fetch_and_add(bucket, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
