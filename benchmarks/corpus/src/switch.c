/* Dense switches. At -mcpu=v4 clang lowers a switch of 13 or more cases to `gotox` through a
 * `.jumptables` entry (BPF.JT.* symbols); at v1..v3 to a compare tree. */
#include "bpf_corpus.h"

SEC("xdp")
int switch_dispatch(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *data_end = (void *)(long)ctx->data_end;
	if (data + 8 > data_end)
		return XDP_DROP;
	u32 value = data[1];
	/* Every case does something different to the packet, so that clang can neither merge
	 * cases nor turn the switch into a lookup table. */
	switch (data[0]) {
	case 0: data[2] = value ^ 0x13; break;
	case 1: data[3] = value + 7; break;
	case 2: data[4] = value * 3; break;
	case 3: data[5] = value - 5; break;
	case 4: data[6] = value << 2; break;
	case 5: data[7] = value >> 1; break;
	case 6: data[2] |= 0x40; break;
	case 7: data[3] &= 0x0f; break;
	case 8: data[4] = data[5] + data[6]; break;
	case 9: data[5] = value / 3; break;
	case 10: data[6] = ~value; break;
	case 11: data[7] = value % 7; break;
	case 12: data[2] = data[3]; break;
	case 13: data[4] ^= data[7]; break;
	case 14: return XDP_TX;
	default: return XDP_PASS;
	}
	return XDP_TX;
}

/* A tiny register machine: eight 2-byte instructions from the first bytes of a map value,
 * run for at most 8 steps. The dispatch switch becomes a jump table. */
struct vm_prog {
	u8 code[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct vm_prog);
} vm_progs SEC(".maps");

SEC("socket")
int switch_vm(struct __sk_buff *skb)
{
	u32 key = skb->mark & 3;
	struct vm_prog *prog = bpf_map_lookup_elem(&vm_progs, &key);
	if (!prog)
		return 0;
	u64 acc = skb->len, aux = skb->protocol;
#pragma clang loop unroll(disable)
	for (int pc = 0; pc < 8; pc++) {
		u8 op = prog->code[2 * pc];
		u8 arg = prog->code[2 * pc + 1];
		switch (op) {
		case 0: acc += arg; break;
		case 1: acc -= arg; break;
		case 2: acc *= arg; break;
		case 3: acc ^= aux; break;
		case 4: acc <<= arg & 63; break;
		case 5: acc >>= arg & 63; break;
		case 6: aux = acc; break;
		case 7: acc = aux + arg; break;
		case 8: acc |= arg; break;
		case 9: acc &= arg; break;
		case 10: aux ^= arg; break;
		case 11: acc = ~acc; break;
		case 12: acc = acc % (arg + 1); break;
		case 13: aux += acc; break;
		case 14: acc = acc / (arg + 1); break;
		case 15: return acc & 0xffff;
		default: return 0;
		}
	}
	return acc & 0xffff;
}

char _license[] SEC("license") = "GPL";
