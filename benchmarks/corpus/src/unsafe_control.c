/* Unsafe twins for indirect control flow: each program has exactly one intended fault. */
#include "bpf_corpus.h"

typedef int (*handler_fn)(struct xdp_md *ctx, u32 arg);

static __noinline int handle_pass(struct xdp_md *ctx, u32 arg)
{
	return arg > 1000 ? XDP_DROP : XDP_PASS;
}

static __noinline int handle_drop(struct xdp_md *ctx, u32 arg)
{
	return XDP_DROP;
}

static __noinline int handle_tx(struct xdp_md *ctx, u32 arg)
{
	return (arg & 1) ? XDP_TX : XDP_PASS;
}

static const handler_fn handlers[3] = { handle_pass, handle_drop, handle_tx };

/* A call table followed by two constants in the same object, so that reading two entries
 * past the table stays inside .rodata but yields numbers, not code addresses. */
static const struct {
	handler_fn handlers[3];
	u64 magic[2];
} padded_table = { { handle_pass, handle_drop, handle_tx }, { 0x1234, 0x5678 } };

static __always_inline u32 first_word(struct xdp_md *ctx, int *ok)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *data_end = (void *)(long)ctx->data_end;
	*ok = data + 4 <= data_end;
	return *ok ? *(u32 *)data : 0;
}

/* Twin of callx_table: the index is not bounded at all. */
SEC("xdp")
int callx_table_unbounded(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	return handlers[word](ctx, word);
}

/* Twin of callx_table: the bound (5) exceeds the table (3 entries); entries 3 and 4 read the
 * neighbouring constants, which are not code addresses. */
SEC("xdp")
int callx_table_overrun(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	u32 index = word >> 24;
	if (index >= 5)
		return XDP_PASS;
	const handler_fn *entries = (const handler_fn *)&padded_table;
	return entries[index](ctx, word);
}

/* Calls whatever 64-bit number the packet holds. */
SEC("xdp")
int callx_scalar(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *data_end = (void *)(long)ctx->data_end;
	if (data + 8 > data_end)
		return XDP_DROP;
	handler_fn fn = (handler_fn)(long)*(u64 *)data;
	return fn(ctx, 0);
}

static handler_fn installed_handler;

/* Twin of callx_global: calls the global function pointer without the NULL check. */
SEC("xdp")
int callx_global_nocheck(struct xdp_md *ctx)
{
	int ok;
	u32 word = first_word(ctx, &ok);
	if (!ok)
		return XDP_DROP;
	if (word == 0xfeedf00d)
		installed_handler = handle_tx;
	handler_fn fn = *(handler_fn volatile *)&installed_handler;
	return fn(ctx, word);
}

/* Twin of switch_dispatch: `default: __builtin_unreachable()` lets clang drop the range
 * check, so the jump-table index is any byte value while the table has 14 entries. */
SEC("xdp")
int gotox_unbounded(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *data_end = (void *)(long)ctx->data_end;
	if (data + 8 > data_end)
		return XDP_DROP;
	u32 value = data[1];
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
	default: __builtin_unreachable();
	}
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
