/* Programs whose safety rests on a relation between two quantities (issue 14's suite):
 * each safe program has an unsafe twin that breaks the relation by one step. Non-relational
 * domains see each quantity alone, so the safe programs measure what relational domains buy;
 * the twins keep them honest. relational.toml lists them with the input that makes each twin
 * fault and the verdicts of today's domains. */
#include "bpf_corpus.h"

/* A barrier that keeps clang from folding a value into another or re-deriving it. */
#define opaque(x) asm volatile("" : "+r"(x))

/* Two variables from the packet: `off < len` and `data + 2 + len <= data_end`. */
SEC("xdp")
int offset_below_length(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 2 > end)
		return XDP_PASS;
	u64 len = data[0];
	u64 off = data[1];
	if (data + 2 + len > end)
		return XDP_PASS;
	if (off >= len)
		return XDP_PASS;
	return data[2 + off] == 7 ? XDP_DROP : XDP_PASS;
}

/* Twin: `off <= len` lets off reach len, one byte past the checked range. */
SEC("xdp")
int offset_at_length(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 2 > end)
		return XDP_PASS;
	u64 len = data[0];
	u64 off = data[1];
	if (data + 2 + len > end)
		return XDP_PASS;
	if (off > len)
		return XDP_PASS;
	return data[2 + off] == 7 ? XDP_DROP : XDP_PASS;
}

/* Two packet pointers compared with each other: p + 4 <= q <= data_end. */
SEC("xdp")
int pointer_below_pointer(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 2 > end)
		return XDP_PASS;
	u8 *p = data + (data[0] & 63);
	u8 *q = data + (data[1] & 63);
	if (q > end)
		return XDP_PASS;
	if (p + 4 > q)
		return XDP_PASS;
	return *(u32 *)p == 0x01020304 ? XDP_DROP : XDP_PASS;
}

/* Twin: only p < q is known, not p + 4 <= q. */
SEC("xdp")
int pointer_just_below_pointer(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 2 > end)
		return XDP_PASS;
	u8 *p = data + (data[0] & 63);
	u8 *q = data + (data[1] & 63);
	if (q > end)
		return XDP_PASS;
	if (p >= q)
		return XDP_PASS;
	return *(u32 *)p == 0x01020304 ? XDP_DROP : XDP_PASS;
}

/* The length as data_end - data: checking the number bounds the packet. */
SEC("xdp")
int length_as_difference(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	u64 len = end - data;

	opaque(len);
	if (len < 20)
		return XDP_PASS;
	return *(u32 *)(data + 16) == 0x0a000001 ? XDP_DROP : XDP_PASS;
}

/* Twin: 18 bytes do not hold a 4-byte read at 16. */
SEC("xdp")
int length_as_difference_short(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	u64 len = end - data;

	opaque(len);
	if (len < 18)
		return XDP_PASS;
	return *(u32 *)(data + 16) == 0x0a000001 ? XDP_DROP : XDP_PASS;
}

/* Correlated branches: a flag set where the packet is long enough guards the read. */
SEC("xdp")
int flag_guards_read(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	u64 long_enough = 0;

	if (data + 8 <= end)
		long_enough = 1;
	opaque(long_enough);
	if (long_enough)
		return *(u64 *)data == 0 ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}

/* Twin: the flag stands for 4 bytes, the read takes 8. */
SEC("xdp")
int flag_guards_longer_read(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	u64 long_enough = 0;

	if (data + 4 <= end)
		long_enough = 1;
	opaque(long_enough);
	if (long_enough)
		return *(u64 *)data == 0 ? XDP_DROP : XDP_PASS;
	return XDP_PASS;
}

/* A copy checked, the original used: the bound holds for both (64-bit copy). */
SEC("xdp")
int copy_checked_original_used(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 index = data[0];
	u64 copy = index;
	opaque(copy);
	if (copy >= 60)
		return XDP_PASS;
	return *(u32 *)(data + index) == 1 ? XDP_DROP : XDP_PASS;
}

/* Twin: the copy is checked against 62, two bytes too many for a 4-byte read. */
SEC("xdp")
int copy_checked_too_loosely(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 index = data[0];
	u64 copy = index;
	opaque(copy);
	if (copy >= 62)
		return XDP_PASS;
	return *(u32 *)(data + index) == 1 ? XDP_DROP : XDP_PASS;
}

/* A spilled 32-bit copy checked after the fill, the register used. */
SEC("xdp")
int spilled_copy_checked(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	volatile u32 slot;

	if (data + 64 > end)
		return XDP_PASS;
	u32 index = data[0];
	slot = index;
	if (slot >= 60)
		return XDP_PASS;
	return *(u32 *)(data + index) == 1 ? XDP_DROP : XDP_PASS;
}

/* Twin: the filled copy is checked against 64. */
SEC("xdp")
int spilled_copy_checked_loosely(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	volatile u32 slot;

	if (data + 64 > end)
		return XDP_PASS;
	u32 index = data[0];
	slot = index;
	if (slot >= 64)
		return XDP_PASS;
	return *(u32 *)(data + index) == 1 ? XDP_DROP : XDP_PASS;
}

/* A loop counter and a pointer that advance together over a checked 200-byte window. */
SEC("xdp")
int counter_and_pointer(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	u32 sum = 0;

	if (data + 200 > end)
		return XDP_PASS;
	u8 *p = data;
	for (u32 i = 0; i < 200; i++) {
		opaque(p);
		sum += *p;
		p++;
	}
	return sum == 0 ? XDP_DROP : XDP_PASS;
}

/* Twin: the loop takes one byte more than the window holds. */
SEC("xdp")
int counter_and_pointer_overrun(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	u32 sum = 0;

	if (data + 200 > end)
		return XDP_PASS;
	u8 *p = data;
	for (u32 i = 0; i <= 200; i++) {
		opaque(p);
		sum += *p;
		p++;
	}
	return sum == 0 ? XDP_DROP : XDP_PASS;
}

/* A mask of an index is at most the index: the index checked, the masked value used. */
SEC("xdp")
int masked_below_checked(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 index = data[0];
	u64 masked = index & data[1];
	opaque(masked);
	if (index >= 60)
		return XDP_PASS;
	return *(u32 *)(data + masked) == 1 ? XDP_DROP : XDP_PASS;
}

/* Twin: the index checked against 62 lets the masked value reach 61. */
SEC("xdp")
int masked_checked_too_loosely(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 index = data[0];
	u64 masked = index & data[1];
	opaque(masked);
	if (index >= 62)
		return XDP_PASS;
	return *(u32 *)(data + masked) == 1 ? XDP_DROP : XDP_PASS;
}

/* Half of a value is at most the value: the value checked, its half used. */
SEC("xdp")
int half_below_checked(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 value = data[0];
	u64 half = value >> 1;
	opaque(half);
	if (value >= 60)
		return XDP_PASS;
	return *(u32 *)(data + half) == 1 ? XDP_DROP : XDP_PASS;
}

/* Twin: the value checked against 124 lets its half reach 61 (zones can say only that the
 * half is at most the value). */
SEC("xdp")
int half_checked_too_loosely(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 value = data[0];
	u64 half = value >> 1;
	opaque(half);
	if (value >= 124)
		return XDP_PASS;
	return *(u32 *)(data + half) == 1 ? XDP_DROP : XDP_PASS;
}

/* A remainder is below its (non-zero) divisor: the divisor checked after the division. */
SEC("xdp")
int remainder_below_divisor(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 value = data[0];
	u64 divisor = data[1];
	if (divisor == 0)
		return XDP_PASS;
	u64 rest = value % divisor;
	opaque(rest);
	if (divisor > 60)
		return XDP_PASS;
	return *(u32 *)(data + rest) == 1 ? XDP_DROP : XDP_PASS;
}

/* Twin: a divisor up to 62 leaves a remainder up to 61. */
SEC("xdp")
int remainder_divisor_too_large(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 value = data[0];
	u64 divisor = data[1];
	if (divisor == 0)
		return XDP_PASS;
	u64 rest = value % divisor;
	opaque(rest);
	if (divisor > 62)
		return XDP_PASS;
	return *(u32 *)(data + rest) == 1 ? XDP_DROP : XDP_PASS;
}

/* A copy moved by a constant checked, the original used: `shifted = index + 8 < 68` puts
 * index below 60 (no wrap: index < 256), as linked scalars (`r2 = r1; r2 += 8`) see. */
SEC("xdp")
int shifted_copy_checked_original_used(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 index = data[0];
	u64 shifted = index + 8;
	opaque(shifted);
	if (shifted >= 68)
		return XDP_PASS;
	return *(u32 *)(data + index) == 1 ? XDP_DROP : XDP_PASS;
}

/* Twin: the shifted copy is checked against 70, two bytes too many for a 4-byte read. */
SEC("xdp")
int shifted_copy_checked_too_loosely(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;

	if (data + 64 > end)
		return XDP_PASS;
	u64 index = data[0];
	u64 shifted = index + 8;
	opaque(shifted);
	if (shifted >= 70)
		return XDP_PASS;
	return *(u32 *)(data + index) == 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

/* A checked offset kept in a (volatile) stack slot and read back: `off < len` now holds of
 * the slot's number, as the register it was checked in is reused. */
SEC("xdp")
int spilled_offset_below_length(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	volatile u64 saved;

	if (data + 2 > end)
		return XDP_PASS;
	u64 len = data[0];
	u64 off = data[1];
	if (data + 2 + len > end)
		return XDP_PASS;
	if (off >= len)
		return XDP_PASS;
	saved = off;
	return data[2 + saved] == 7 ? XDP_DROP : XDP_PASS;
}

/* Twin: `off <= len` before the spill reaches one byte past the checked range. */
SEC("xdp")
int spilled_offset_at_length(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *end = (void *)(long)ctx->data_end;
	volatile u64 saved;

	if (data + 2 > end)
		return XDP_PASS;
	u64 len = data[0];
	u64 off = data[1];
	if (data + 2 + len > end)
		return XDP_PASS;
	if (off > len)
		return XDP_PASS;
	saved = off;
	return data[2 + saved] == 7 ? XDP_DROP : XDP_PASS;
}
