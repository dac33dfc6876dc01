/* fmod_ret on an error-injectable function (bpf_modify_return_test(int a, int *b)): makes it
 * fail with -EPERM for a configured pid, and lets it run (returns 0) for everyone else. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} blocked_pid SEC(".maps");

SEC("fmod_ret/bpf_modify_return_test")
int fmod_ret_block(u64 *ctx)
{
	u32 zero = 0;
	u32 *pid = bpf_map_lookup_elem(&blocked_pid, &zero);
	s32 prev_ret = (s32)ctx[2];

	if (prev_ret != 0)
		return prev_ret;
	if (pid && *pid == (u32)(bpf_get_current_pid_tgid() >> 32))
		return -EPERM;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
