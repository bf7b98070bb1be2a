/* hako-runtime as its own small binary: the runtime, the util module and the
 * runtime's commands, linked with libseccomp, libcap and json-c only.  An
 * engine starts it for every container, and the dynamic loading of the full
 * hako (libcurl, libarchive, sqlite, libcrypto...) more than doubled the
 * time of `hako-runtime run` (see docs/runtime-bench.md).  `hako runtime
 * ...` in the full binary stays the same code. */
int runtime_cli_main(int argc, char **argv);

int main(int argc, char **argv)
{
	return runtime_cli_main(argc, argv);
}
