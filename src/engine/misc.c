/* hako engine: small pure helpers (names, ids, times, sizes, signals). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/internal.h"
#include "util/util.h"

const char *engine_state_name(enum engine_state s)
{
	static const char *const names[] = {"created", "running",  "paused", "restarting",
					    "exited",  "removing", "dead"};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

int engine_state_from_name(const char *s)
{
	for (int i = ENGINE_CREATED; i <= ENGINE_DEAD; i++)
		if (!strcmp(engine_state_name((enum engine_state)i), s))
			return i;
	return -1;
}

int64_t engine_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *engine_format_time(int64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char buf[64];

	if (ns <= 0)
		return xstrdup("0001-01-01T00:00:00Z");
	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%09lldZ", buf, (long long)(ns % 1000000000LL));
}

int64_t engine_parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p;
	long long frac = 0;
	int digits = 0;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (digits < 9) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		}
		while (digits++ < 9)
			frac *= 10;
	}
	return (int64_t)timegm(&tm) * 1000000000LL + frac;
}

char *engine_human_duration(int64_t ns)
{
	long long seconds = ns / 1000000000LL;
	long long minutes = seconds / 60;
	long long hours =
		(ns + 1800000000000LL) / 3600000000000LL; /* rounded, as Go's math.Round */

	if (seconds < 1)
		return xstrdup("Less than a second");
	if (seconds == 1)
		return xstrdup("1 second");
	if (seconds < 60)
		return xasprintf("%lld seconds", seconds);
	if (minutes == 1)
		return xstrdup("About a minute");
	if (minutes < 60)
		return xasprintf("%lld minutes", minutes);
	if (hours == 1)
		return xstrdup("About an hour");
	if (hours < 48)
		return xasprintf("%lld hours", hours);
	if (hours < 24 * 7 * 2)
		return xasprintf("%lld days", hours / 24);
	if (hours < 24 * 30 * 2)
		return xasprintf("%lld weeks", hours / 24 / 7);
	if (hours < 24 * 365 * 2)
		return xasprintf("%lld months", hours / 24 / 30);
	return xasprintf("%lld years", (long long)(ns / 3600000000000LL) / 24 / 365);
}

char *engine_status_string(const struct engine_container *c, int64_t now)
{
	_cleanup_free_ char *d = NULL;

	switch (c->state) {
	case ENGINE_RUNNING:
	case ENGINE_PAUSED:
		d = engine_human_duration(now - c->started_at);
		return xasprintf("Up %s%s", d, c->state == ENGINE_PAUSED ? " (Paused)" : "");
	case ENGINE_RESTARTING:
		d = engine_human_duration(now - c->finished_at);
		return xasprintf("Restarting (%d) %s ago", c->exit_code, d);
	case ENGINE_EXITED:
		if (!c->finished_at)
			return xstrdup("Created");
		d = engine_human_duration(now - c->finished_at);
		return xasprintf("Exited (%d) %s ago", c->exit_code, d);
	case ENGINE_REMOVING:
		return xstrdup("Removal In Progress");
	case ENGINE_DEAD:
		return xstrdup("Dead");
	case ENGINE_CREATED:
	default:
		return xstrdup("Created");
	}
}

int engine_parse_size(const char *s, int64_t *out)
{
	char *end;
	double v;
	int64_t mult = 1;

	if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -1;
	if (*end) {
		switch (tolower((unsigned char)*end)) {
		case 'b':
			mult = 1;
			break;
		case 'k':
			mult = 1LL << 10;
			break;
		case 'm':
			mult = 1LL << 20;
			break;
		case 'g':
			mult = 1LL << 30;
			break;
		case 't':
			mult = 1LL << 40;
			break;
		default:
			return -1;
		}
		end++;
		if (*end && mult > 1 && tolower((unsigned char)*end) == 'i')
			end++;
		if (*end && mult > 1 && tolower((unsigned char)*end) == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (v < 0 || v * (double)mult > 9.0e18)
		return -1;
	*out = (int64_t)(v * (double)mult);
	return 0;
}

int engine_parse_signal(const char *s)
{
	long long n;

	if (!s || !*s)
		return -1;
	if (parse_ll(s, 1, 64, &n) == 0)
		return (int)n;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);
		if (abbrev && !strcasecmp(abbrev, s))
			return i;
	}
	if (!strncasecmp(s, "RTMIN+", 6) && parse_ll(s + 6, 0, 30, &n) == 0)
		return SIGRTMIN + (int)n;
	return -1;
}

char *engine_new_id(void)
{
	unsigned char raw[32];
	char *hex = xmalloc(65);
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

static const char *const adjectives[] = {
	"admiring",   "agitated",  "amazing",	    "angry",	   "awesome",	  "blissful",
	"bold",	      "boring",	   "brave",	    "busy",	   "calm",	  "charming",
	"clever",     "cool",	   "compassionate", "competent",   "confident",	  "cranky",
	"crazy",      "dazzling",  "determined",    "distracted",  "dreamy",	  "eager",
	"ecstatic",   "elastic",   "elated",	    "elegant",	   "eloquent",	  "epic",
	"exciting",   "fervent",   "festive",	    "flamboyant",  "focused",	  "friendly",
	"frosty",     "funny",	   "gallant",	    "gifted",	   "goofy",	  "gracious",
	"great",      "happy",	   "hardcore",	    "heuristic",   "hopeful",	  "hungry",
	"infallible", "inspiring", "intelligent",   "interesting", "jolly",	  "jovial",
	"keen",	      "kind",	   "laughing",	    "loving",	   "lucid",	  "magical",
	"modest",     "musing",	   "mystifying",    "naughty",	   "nervous",	  "nice",
	"nifty",      "nostalgic", "objective",	    "optimistic",  "peaceful",	  "pedantic",
	"pensive",    "practical", "priceless",	    "quirky",	   "quizzical",	  "relaxed",
	"reverent",   "romantic",  "sad",	    "serene",	   "sharp",	  "silly",
	"sleepy",     "stoic",	   "strange",	    "stupefied",   "suspicious",  "sweet",
	"tender",     "thirsty",   "trusting",	    "unruffled",   "upbeat",	  "vibrant",
	"vigilant",   "vigorous",  "wizardly",	    "wonderful",   "xenodochial", "youthful",
	"zealous",    "zen",
};

static const char *const nouns[] = {
	"albatross", "antelope", "badger",   "beaver",	 "bison",      "bobcat",  "buffalo",
	"camel",     "caribou",	 "cheetah",  "chipmunk", "cobra",      "condor",  "cormorant",
	"coyote",    "crane",	 "dolphin",  "dormouse", "eagle",      "egret",	  "elephant",
	"falcon",    "ferret",	 "finch",    "flamingo", "fox",	       "gazelle", "gecko",
	"gibbon",    "giraffe",	 "gopher",   "gorilla",	 "grouse",     "hamster", "hare",
	"hedgehog",  "heron",	 "hippo",    "hornet",	 "ibis",       "iguana",  "impala",
	"jackal",    "jaguar",	 "kangaroo", "kestrel",	 "kingfisher", "koala",	  "lemur",
	"leopard",   "llama",	 "lynx",     "magpie",	 "manatee",    "marmot",  "meerkat",
	"mink",	     "mole",	 "moose",    "narwhal",	 "newt",       "ocelot",  "octopus",
	"okapi",     "orca",	 "osprey",   "otter",	 "owl",	       "panda",	  "panther",
	"pelican",   "penguin",	 "puffin",   "quail",	 "rabbit",     "raccoon", "raven",
	"reindeer",  "salmon",	 "seal",     "shrew",	 "skunk",      "sparrow", "squirrel",
	"stork",     "swan",	 "tapir",    "tiger",	 "toucan",     "turtle",  "viper",
	"walrus",    "weasel",	 "wombat",   "wren",	 "yak",	       "zebra",
};

char *engine_random_name(void)
{
	uint32_t r[2];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r[0] = (uint32_t)now_ns(), r[1] = (uint32_t)(now_ns() >> 7);
	return xasprintf("%s_%s", adjectives[r[0] % ARRAY_SIZE(adjectives)],
			 nouns[r[1] % ARRAY_SIZE(nouns)]);
}

bool engine_valid_name(const char *name)
{
	/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
	if (!name || !isalnum((unsigned char)name[0]) || strlen(name) > 128)
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return name[1] != '\0';
}

char *engine_command_string(const struct engine_container *c)
{
	json_object *cfg = NULL, *arr;
	size_t cap = 64, len = 0;
	char *out = xzalloc(cap);
	const char *keys[] = {"Entrypoint", "Cmd"};

	json_object_object_get_ex(c->config, "Config", &cfg);
	for (size_t k = 0; cfg && k < ARRAY_SIZE(keys); k++) {
		if (!json_object_object_get_ex(cfg, keys[k], &arr) ||
		    !json_object_is_type(arr, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
			size_t sl = strlen(s ? s : "");
			if (len + sl + 2 > cap) {
				cap = (len + sl + 2) * 2;
				out = xrealloc(out, cap);
			}
			if (len)
				out[len++] = ' ';
			memcpy(out + len, s ? s : "", sl);
			len += sl;
			out[len] = '\0';
		}
	}
	return out;
}

void engine_container_free(struct engine_container *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->image_id);
	json_object_put(c->config);
	free(c->error);
	free(c->rootfs);
	free(c);
}

void engine_container_freep(struct engine_container **c)
{
	engine_container_free(*c);
	*c = NULL;
}

void engine_list_free(struct engine_container **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		engine_container_free(list[i]);
	free(list);
}
