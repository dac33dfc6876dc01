/* Global data in every section kind libbpf maps: .rodata (const volatile configuration and
 * string literals), .data, .bss and a custom .data.* section. Each access is an lddw of the
 * section relocated as a map value. */
#include "bpf_corpus.h"

const volatile u32 cfg_max_len = 1500;
const volatile u8 cfg_verbose = 1;
u32 last_len = 7;
u64 packets_seen;
u64 oversized SEC(".data.stats");
u64 per_proto[4] SEC(".data.stats");

SEC("xdp")
int globals_config(struct xdp_md *ctx)
{
	u32 len = ctx->data_end - ctx->data;
	__sync_fetch_and_add(&packets_seen, 1);
	last_len = len;
	if (len > cfg_max_len) {
		__sync_fetch_and_add(&oversized, 1);
		if (cfg_verbose) {
			static const char fmt[] = "oversized packet: %u bytes\n";
			bpf_trace_printk(fmt, sizeof(fmt), len);
		}
		return XDP_DROP;
	}
	per_proto[len & 3] += 1;
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual MIT/GPL";
