/* hako: the fields of dockerd's /info that apply to hako (`hako info`,
 * GET /info). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "api/api.h"
#include "image/image.h"
#include "storage/storage.h"
#include "util/json.h"
#include "util/util.h"
#include "vm/vm.h"

/* PRETTY_NAME of /etc/os-release, as dockerd reports OperatingSystem. */
static char *os_name(void)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		char *v = line + 12;
		v[strcspn(v, "\n")] = 0;
		if (*v == '"') {
			v++;
			v[strcspn(v, "\"")] = 0;
		}
		return xstrdup(v);
	}
	return xstrdup("Linux");
}

static int64_t mem_total(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	long long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			break;
	return (int64_t)kb * 1024;
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

json_object *api_info_json(struct engine *e, struct hk_error **err)
{
	json_object *o = json_object_new_object(), *rt, *sec, *hako, *v;
	struct engine_container **list = NULL;
	struct image **images = NULL;
	struct vm_def **vms = NULL;
	struct image_store *store = NULL;
	struct storage *s = NULL;
	struct utsname u;
	struct stat st;
	size_t n = 0, n_img = 0, n_vm = 0;
	int64_t running = 0, paused = 0, stopped = 0;
	_cleanup_free_ char *os = os_name();
	_cleanup_free_ char *name = NULL;
	char host[256] = "";

	if (engine_list(e, &list, &n, err) < 0) {
		json_object_put(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (list[i]->state == ENGINE_RUNNING || list[i]->state == ENGINE_RESTARTING)
			running++;
		else if (list[i]->state == ENGINE_PAUSED)
			paused++;
		else
			stopped++;
	}
	engine_list_free(list, n);
	if (image_store_open(e->root, &store, NULL) == 0) {
		if (image_list(store, &images, &n_img, NULL) == 0)
			image_list_free(images, n_img);
		else
			n_img = 0;
		image_store_close(store);
	}
	if (vm_list(e->root, &vms, &n_vm, NULL) == 0)
		vm_list_free(vms, n_vm);
	else
		n_vm = 0;
	uname(&u);
	gethostname(host, sizeof(host) - 1);

	add_str(o, "ID", "");
	add_int(o, "Containers", (int64_t)n);
	add_int(o, "ContainersRunning", running);
	add_int(o, "ContainersPaused", paused);
	add_int(o, "ContainersStopped", stopped);
	add_int(o, "Images", (int64_t)n_img);
	if (storage_open(e->root, NULL, &s, NULL) == 0) {
		add_str(o, "Driver", storage_driver_name(s));
		storage_close(s);
	} else {
		add_str(o, "Driver", "");
	}
	json_object_object_add(o, "DriverStatus", json_object_new_array());
	add_str(o, "LoggingDriver", "json-file");
	add_str(o, "CgroupDriver", "cgroupfs");
	add_str(o, "CgroupVersion",
		stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0 ? "2" : "1");
	add_int(o, "NEventsListener", 0);
	add_str(o, "KernelVersion", u.release);
	add_str(o, "OperatingSystem", os);
	add_str(o, "OSVersion", "");
	add_str(o, "OSType", "linux");
	add_str(o, "Architecture", u.machine);
	add_str(o, "IndexServerAddress", "https://index.docker.io/v1/");
	add_int(o, "NCPU", sysconf(_SC_NPROCESSORS_ONLN));
	add_int(o, "MemTotal", mem_total());
	add_str(o, "DockerRootDir", e->root);
	add_str(o, "Name", host);
	json_object_object_add(o, "Labels", json_object_new_array());
	json_object_object_add(o, "ExperimentalBuild", json_object_new_boolean(false));
	add_str(o, "ServerVersion", HAKO_VERSION);
	rt = json_object_new_object();
	v = json_object_new_object();
	add_str(v, "path", "hako-runtime");
	json_object_object_add(rt, "hako", v);
	json_object_object_add(o, "Runtimes", rt);
	add_str(o, "DefaultRuntime", "hako");
	sec = json_object_new_array();
	json_object_array_add(sec, json_object_new_string("name=seccomp,profile=builtin"));
	json_object_array_add(sec, json_object_new_string("name=no-new-privileges"));
	if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0)
		json_object_array_add(sec, json_object_new_string("name=cgroupns"));
	json_object_object_add(o, "SecurityOptions", sec);
	v = json_object_new_object();
	add_str(v, "LocalNodeState", "inactive");
	json_object_object_add(o, "Swarm", v);
	json_object_object_add(o, "LiveRestoreEnabled", json_object_new_boolean(true));
	add_str(o, "Isolation", "");
	hako = json_object_new_object();
	add_int(hako, "VMs", (int64_t)n_vm);
	add_str(hako, "RunRoot", e->runroot);
	json_object_object_add(o, "Hako", hako);
	return o;
}
