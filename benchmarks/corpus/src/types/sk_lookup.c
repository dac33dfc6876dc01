/* sk_lookup: steers connections to any port of a listed range to one listening socket kept
 * in a sockmap (bpf_sk_assign), releasing the reference it took. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} listener SEC(".maps");

SEC("sk_lookup")
int sk_lookup_port_range(struct bpf_sk_lookup *ctx)
{
	u32 zero = 0;
	struct bpf_sock *sk;
	long err;

	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	if (ctx->local_port < 7000 || ctx->local_port > 7999)
		return SK_PASS;
	sk = bpf_map_lookup_elem(&listener, &zero);
	if (!sk)
		return SK_DROP;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
