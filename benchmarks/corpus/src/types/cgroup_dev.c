/* cgroup/dev: a device allow-list: character devices listed by (major, minor) may be read
 * and written; mknod and block devices are refused. */
#include "bpf_types.h"

struct device {
	u32 major;
	u32 minor;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct device);
	__type(value, u8);
} allowed_devices SEC(".maps");

SEC("cgroup/dev")
int dev_allow_list(struct bpf_cgroup_dev_ctx *ctx)
{
	u32 type = ctx->access_type & 0xffff;
	u32 access = ctx->access_type >> 16;
	struct device dev = { .major = ctx->major, .minor = ctx->minor };

	if (type != BPF_DEVCG_DEV_CHAR)
		return 0;
	if (access & BPF_DEVCG_ACC_MKNOD)
		return 0;
	return bpf_map_lookup_elem(&allowed_devices, &dev) != NULL;
}

char LICENSE[] SEC("license") = "GPL";
