/* fexit on do_unlinkat(int dfd, struct filename *name): counts failed unlinks by errno
 * through bpf_get_func_ret and checks the argument count. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} unlink_errors SEC(".maps");

SEC("fexit/do_unlinkat")
int fexit_do_unlinkat(u64 *ctx)
{
	u64 ret = 0;
	s64 err;
	u32 key;
	u64 *count;

	if (bpf_get_func_arg_cnt(ctx) != 2)
		return 0;
	if (bpf_get_func_ret(ctx, &ret) < 0)
		return 0;
	err = (s32)ret;
	if (err >= 0 || err < -255)
		return 0;
	key = -err;
	count = bpf_map_lookup_elem(&unlink_errors, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
