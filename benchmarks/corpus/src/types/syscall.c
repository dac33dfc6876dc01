/* syscall program (run by BPF_PROG_TEST_RUN with a user-supplied context): the context is
 * the caller's argument block; it validates the block and records its values in a map. */
#include "bpf_types.h"

struct args {
	u32 slot;
	u32 flags;
	u64 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} settings SEC(".maps");

SEC("syscall")
int syscall_set(struct args *ctx)
{
	u32 slot = ctx->slot;
	u64 value = ctx->value;

	if (ctx->flags != 0)
		return -1;
	if (slot >= 8)
		return -2;
	if (bpf_map_update_elem(&settings, &slot, &value, BPF_ANY))
		return -3;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
