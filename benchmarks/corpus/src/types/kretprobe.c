/* kretprobe: a histogram (log2 buckets) of the byte counts vfs_write returns; errors go to
 * bucket 0. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} write_sizes SEC(".maps");

SEC("kretprobe/vfs_write")
int kretprobe_vfs_write(struct pt_regs *ctx)
{
	long ret = PT_REGS_RC(ctx);
	u32 bucket = 0;
	u64 *slot;

	if (ret > 0) {
		u64 v = ret;
		while (v > 1 && bucket < 63) {
			v >>= 1;
			bucket++;
		}
	}
	slot = bpf_map_lookup_elem(&write_sizes, &bucket);
	if (slot)
		*slot += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
