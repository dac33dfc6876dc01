/* LSM hook file_mprotect(struct vm_area_struct *vma, unsigned long reqprot, unsigned long
 * prot, int ret): refuses making memory writable and executable at once for cgroups listed
 * in a map; a prior refusal (ret) is kept. The hook's return range is an errno or 0 (the
 * kernel's check_return_code judges the low 32 bits), so ret outside it becomes -EPERM. */
#include "bpf_types.h"

#define PROT_WRITE 0x2
#define PROT_EXEC 0x4

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, u8);
} confined_cgroups SEC(".maps");

SEC("lsm/file_mprotect")
int lsm_no_wx(u64 *ctx)
{
	u64 prot = ctx[2];
	s32 ret = (s32)ctx[3];
	u64 cgroup;

	if (ret < -4095 || ret > 0)
		return -EPERM;
	if (ret != 0)
		return ret;
	if ((prot & (PROT_WRITE | PROT_EXEC)) != (PROT_WRITE | PROT_EXEC))
		return 0;
	cgroup = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&confined_cgroups, &cgroup))
		return -EPERM;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
