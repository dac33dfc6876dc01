/* A USDT-style probe as libbpf attaches it: an uprobe at the note's address whose arguments
 * are in registers (here: a request id in rdi and a latency in rsi); latencies above a
 * threshold are counted per request class. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} slow_requests SEC(".maps");

SEC("usdt")
int usdt_request_done(struct pt_regs *ctx)
{
	u64 request = PT_REGS_PARM1(ctx);
	u64 latency_ns = PT_REGS_PARM2(ctx);
	u32 class = request & 15;
	u64 *count;

	if (latency_ns < 1000000)
		return 0;
	count = bpf_map_lookup_elem(&slow_requests, &class);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
