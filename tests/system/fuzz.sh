# Fuzz targets (tests/fuzz/): the corpus and a bounded number of seeded
# mutations, under ASan+UBSan when built (make SANITIZE=1).  A failure
# prints the seed: `build/asan/hk-fuzz TARGET -n N -s SEED tests/fuzz/corpus/TARGET`
# replays it.  HK_FUZZ_SEED and HK_FUZZ_ITERATIONS (a factor) change them.

fuzz_run() {
	local target=$1 n=$2 bin=$TOP/build/hk-fuzz seed=${HK_FUZZ_SEED:-1}
	[ -x "$TOP/build/asan/hk-fuzz" ] && bin=$TOP/build/asan/hk-fuzz
	[ -x "$bin" ] || skip "no hk-fuzz (make)"
	n=$((n * ${HK_FUZZ_ITERATIONS:-1}))
	run env ASAN_OPTIONS=detect_leaks=1 "$bin" "$target" -n "$n" -s "$seed" \
		"$TOP/tests/fuzz/corpus/$target"
	assert_eq "$status" 0 "hk-fuzz $target -n $n -s $seed: $output"
	assert_contains "$output" "no crash"
}

test_fuzz_dns_messages() { fuzz_run dns 20000; }
test_fuzz_tar_layers() { fuzz_run tar 500; }
test_fuzz_templates() { fuzz_run template 20000; }
test_fuzz_config_json() { fuzz_run spec 5000; }
