/* An object in the style of the kernel's old samples/bpf and bcc-era loaders: maps are
 * `struct bpf_map_def` (20 bytes) in SEC("maps"), programs are SEC("kprobe/...") and
 * SEC("kretprobe/..."), and a version section is present. */
#include "bpf_corpus.h"

struct bpf_map_def SEC("maps") start_ns = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
	.max_entries = 4096,
};

struct bpf_map_def SEC("maps") latency_hist = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
	.max_entries = 32,
};

SEC("kprobe/blk_mq_start_request")
int trace_start(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid();
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&start_ns, &pid, &now, BPF_ANY);
	return 0;
}

SEC("kretprobe/blk_mq_end_request")
int trace_end(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid();
	u64 *start = bpf_map_lookup_elem(&start_ns, &pid);
	u64 delta;
	u32 bucket = 0;
	u64 *slot;

	if (!start)
		return 0;
	delta = (bpf_ktime_get_ns() - *start) / 1000;
	bpf_map_delete_elem(&start_ns, &pid);
	while (delta > 1 && bucket < 31) {
		delta >>= 1;
		bucket++;
	}
	slot = bpf_map_lookup_elem(&latency_hist, &bucket);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	return 0;
}

char _license[] SEC("license") = "GPL";
u32 _version SEC("version") = 0x060c00;
