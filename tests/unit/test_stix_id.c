/* test_stix_id.c - STIX identifiers, type names and UUIDs (S§2.9, S§3.1, T§2 identifier). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "stix/id.h"

static void test_valid_ids(void **state)
{
    (void)state;
    int v = 0;
    char why[256];
    assert_int_equal(stix_id_check("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", NULL, &v, why, sizeof why), 0);
    assert_int_equal(v, 4);
    assert_int_equal(stix_id_check("ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "ipv4-addr", &v, NULL, 0), 0);
    assert_int_equal(v, 5);
    assert_int_equal(stix_id_check("x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263", NULL, &v, NULL, 0), 0);
    /* RFC 4122 readers accept upper-case hex; version 1 is still RFC 4122 */
    assert_int_equal(stix_id_check("identity--F431F809-377B-15E0-AA1C-6A4751CAE5FF", "identity", &v, NULL, 0), 0);
    assert_int_equal(v, 1);
    /* a 250-character type is the longest allowed */
    char id[STIX_ID_MAX + 10];
    memset(id, 'a', 250);
    strcpy(id + 250, "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert_int_equal(stix_id_check(id, NULL, NULL, NULL, 0), 0);
    memset(id, 'a', 251);
    strcpy(id + 251, "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert_int_equal(stix_id_check(id, NULL, NULL, NULL, 0), -1);
}

static void test_refused_ids(void **state)
{
    (void)state;
    char why[256];
    /* the STIX 2.1 spec's own file example with one hyphen */
    assert_int_equal(stix_id_check("file-1389b98d-a3d3-5190-a996-716fd444059a", NULL, NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "file-1389b98d"));
    assert_non_null(strstr(why, "<type>--<uuid>"));
    const char *bad[] = {
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3",     /* short uuid */
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3ff",   /* long uuid */
        "indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3ff",    /* hyphen missing */
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g",    /* not hex */
        "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f",    /* version 0 */
        "indicator--8e2e2d2b-17d4-bcbf-938f-98ee46b3cd3f",    /* version b */
        "indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f",    /* variant 110x */
        "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f",    /* variant 0xxx */
        "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",    /* upper-case type */
        "1ndicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",    /* starts with a digit */
        "ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",           /* type too short */
        "x-foo---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",       /* type ends with '-' */
        "x--foo--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",       /* "--" inside the type */
        "x_foo--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",        /* underscore */
        "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "indicator",
        "",
        "example:ttp-66647c79-5766-4ca7-ab8a-a579056e3c83",   /* STIX 1.x id */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (stix_id_check(bad[i], NULL, NULL, why, sizeof why) != -1)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(why[0] != '\0');
    }
    assert_int_equal(stix_id_check(NULL, NULL, NULL, why, sizeof why), -1);
    /* a small why buffer is truncated, not overrun */
    char tiny[8];
    assert_int_equal(stix_id_check("nope", NULL, NULL, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), 7);
}

static void test_expected_type(void **state)
{
    (void)state;
    char why[256];
    const char *id = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b";
    assert_int_equal(stix_id_check(id, "malware", NULL, why, sizeof why), 0);
    assert_int_equal(stix_id_check(id, "tool", NULL, why, sizeof why), -1);
    assert_non_null(strstr(why, "tool"));
    /* a prefix of the type is not the type */
    assert_int_equal(stix_id_check(id, "malwar", NULL, why, sizeof why), -1);
    assert_int_equal(stix_id_check(id, "malware-analysis", NULL, why, sizeof why), -1);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_int_equal(stix_type_check("indicator"), 0);
    assert_int_equal(stix_type_check("x-mitre-data-component"), 0);
    assert_int_equal(stix_type_check("ipv4-addr"), 0);
    assert_int_equal(stix_type_check("x509-certificate"), 0);
    assert_int_equal(stix_type_check("abc"), 0);
    assert_int_equal(stix_type_check("ab"), -1);
    assert_int_equal(stix_type_check("Indicator"), -1);
    assert_int_equal(stix_type_check("9abc"), -1);
    assert_int_equal(stix_type_check("-abc"), -1);
    assert_int_equal(stix_type_check("abc def"), -1);
    assert_int_equal(stix_type_check("abc_def"), -1);
    assert_int_equal(stix_type_check("abc--def"), -1);
    assert_int_equal(stix_type_check(""), -1);
    assert_int_equal(stix_type_check(NULL), -1);
    char t[260];
    memset(t, 'q', 250);
    t[250] = '\0';
    assert_int_equal(stix_type_check(t), 0);
    t[250] = 'q';
    t[251] = '\0';
    assert_int_equal(stix_type_check(t), -1);
}

static void test_uuid4(void **state)
{
    (void)state;
    char a[STIX_UUID_STR], b[STIX_UUID_STR];
    for (int i = 0; i < 1000; i++) {
        stix_uuid4(a);
        assert_int_equal(strlen(a), 36);
        assert_int_equal(stix_uuid_check(a), 1);
        assert_int_equal(a[14], '4');
        assert_non_null(strchr("89ab", a[19]));
        for (int k = 0; k < 36; k++)
            assert_true(a[k] == '-' || (a[k] >= '0' && a[k] <= '9') || (a[k] >= 'a' && a[k] <= 'f'));
        char id[64];
        snprintf(id, sizeof id, "indicator--%s", a);
        int v = 0;
        assert_int_equal(stix_id_check(id, "indicator", &v, NULL, 0), 0);
        assert_int_equal(v, 4);
        stix_uuid4(b);
        assert_string_not_equal(a, b);
    }
}

static void test_uuid_check(void **state)
{
    (void)state;
    assert_int_equal(stix_uuid_check("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), 1);
    assert_int_equal(stix_uuid_check("00000000-0000-0000-0000-000000000000"), 1); /* any version */
    assert_int_equal(stix_uuid_check("8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F"), 1);
    assert_int_equal(stix_uuid_check("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3"), 0);
    assert_int_equal(stix_uuid_check("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3ff"), 0);
    assert_int_equal(stix_uuid_check("8e2e2d2b_17d4-4cbf-938f-98ee46b3cd3f"), 0);
    assert_int_equal(stix_uuid_check("{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd}"), 0);
    assert_int_equal(stix_uuid_check("8e2e2d2b-17d4-4cbf-938f-98ee46b3cdzf"), 0);
    assert_int_equal(stix_uuid_check(""), 0);
    assert_int_equal(stix_uuid_check(NULL), 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_ids),
        cmocka_unit_test(test_refused_ids),
        cmocka_unit_test(test_expected_type),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_uuid4),
        cmocka_unit_test(test_uuid_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
