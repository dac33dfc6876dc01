/* An object in libbpf 1.x style: BTF-defined maps in SEC(".maps"), a program that is not
 * loaded by default (`?` prefix), and the bare section names libbpf's `+` forms accept
 * ("kprobe" and "uprobe" without a target, attached at run time). */
#include "bpf_corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} calls SEC(".maps");

static __always_inline int count_call(void)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1;
	u64 *count = bpf_map_lookup_elem(&calls, &pid);

	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&calls, &pid, &one, BPF_NOEXIST);
	return 0;
}

SEC("kprobe")
int bare_kprobe(struct pt_regs *ctx)
{
	return count_call();
}

SEC("uprobe")
int bare_uprobe(struct pt_regs *ctx)
{
	return count_call();
}

SEC("?xdp")
int optional_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return data + sizeof(struct ethhdr) <= data_end ? XDP_PASS : XDP_DROP;
}

SEC("?tc")
int optional_tc(struct __sk_buff *skb)
{
	return skb->len < 64 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
