/* test_stix_validate.c - STIX 2.1/2.0 object validation: per-rule cases with the exact reasons,
 * the meta fields the store relies on, and every object of the real data sets (S§3-§7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stix/validate.h"

/* Test JSON is written with single quotes for readability; J() turns them into double quotes. */
static json_object *J(const char *single_quoted)
{
    static char buf[8192];
    size_t n = strlen(single_quoted);
    assert_true(n < sizeof buf);
    for (size_t i = 0; i <= n; i++)
        buf[i] = single_quoted[i] == '\'' ? '"' : single_quoted[i];
    json_object *o = json_tokener_parse(buf);
    if (o == NULL)
        fail_msg("test JSON does not parse: %s", buf);
    return o;
}

/* Valid: returns meta for inspection; fails the test with the reason otherwise. */
static void ok_m(const char *sq, stix_meta *m)
{
    json_object *o = J(sq);
    char reason[512] = "";
    if (stix_validate(o, m, reason, sizeof reason) != 0)
        fail_msg("refused: %s\n  object: %s", reason, sq);
    json_object_put(o);
}

static void ok(const char *sq)
{
    stix_meta m;
    ok_m(sq, &m);
}

/* Refused, with a reason containing want. */
static void bad(const char *sq, const char *want)
{
    json_object *o = J(sq);
    char reason[512] = "";
    stix_meta m;
    if (stix_validate(o, &m, reason, sizeof reason) == 0)
        fail_msg("accepted, expected '%s'\n  object: %s", want, sq);
    if (strstr(reason, want) == NULL)
        fail_msg("reason '%s' does not contain '%s'", reason, want);
    json_object_put(o);
}

#define IND_ID "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define IDN_ID "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
#define MD_ID "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define HDR21(t, uuid) "'type':'" t "','spec_version':'2.1','id':'" t "--" uuid "','created':'2016-04-06T20:03:48.000Z','modified':'2016-04-06T20:03:48.000Z'"
#define U1 "a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"
#define IND21 "'type':'indicator','spec_version':'2.1','id':'" IND_ID "','created':'2016-04-06T20:03:48.000Z','modified':'2016-04-06T20:03:48.000Z'"
#define IND_BODY "'pattern':'[ipv4-addr:value = \\u00271.2.3.4\\u0027]','pattern_type':'stix','valid_from':'2016-01-01T00:00:00Z'"

static void test_indicator_and_meta(void **state)
{
    (void)state;
    stix_meta m;
    ok_m("{" IND21 ",'modified':'2016-04-06T20:03:48.1230Z'," IND_BODY ",'created_by_ref':'" IDN_ID
         "','revoked':true}", &m);
    assert_string_equal(m.id, IND_ID);
    assert_string_equal(m.type, "indicator");
    assert_string_equal(m.spec_version, "2.1");
    assert_int_equal(m.has_version, 1);
    assert_string_equal(m.version, "2016-04-06T20:03:48.1230Z"); /* byte-exact */
    assert_string_equal(m.version_key, "2016-04-06T20:03:48.123");
    assert_string_equal(m.created_by_ref, IDN_ID);
    assert_int_equal(m.revoked, 1);
    assert_string_equal(m.warnings, "");

    bad("{" IND21 ",'pattern':'x','valid_from':'2016-01-01T00:00:00Z'}",
        "indicator: missing required property 'pattern_type'");
    bad("{" IND21 ",'pattern_type':'stix','valid_from':'2016-01-01T00:00:00Z'}",
        "indicator: missing required property 'pattern'");
    bad("{" IND21 ",'pattern':'x','pattern_type':'stix'}", "missing required property 'valid_from'");
    bad("{" IND21 ",'pattern':'x','pattern_type':'stix','valid_from':'2016-01-01'}",
        "valid_from must be a STIX timestamp");
    bad("{" IND21 "," IND_BODY ",'valid_until':'2015-01-01T00:00:00Z'}", "valid_until must be later than valid_from");
    ok("{" IND21 "," IND_BODY ",'valid_until':'2017-01-01T00:00:00Z'}");
    bad("{" IND21 ",'pattern':7,'pattern_type':'stix','valid_from':'2016-01-01T00:00:00Z'}", "pattern must be a string");
}

static void test_created_modified(void **state)
{
    (void)state;
    stix_meta m;
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z','name':'x'}",
        "identity: missing required property 'modified'");
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','modified':'2016-08-08T15:50:10.983Z','name':'x'}",
        "missing required property 'created'");
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z',"
        "'modified':'2015-08-08T15:50:10.983Z','name':'x'}", "modified is earlier than created");
    /* equal instants spelled differently are not "earlier" */
    ok_m("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.9830Z',"
         "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", &m);
    assert_string_equal(m.version, "2016-08-08T15:50:10.983Z");
    /* 2.1: at least millisecond precision on created/modified */
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.98Z',"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", "created must have at least 3 fraction digits");
    bad("{'type':'relationship','spec_version':'2.1','id':'relationship--" U1 "','created':'2025-09-03T15:32:27.000Z',"
        "'modified':'2025-09-03T15:32:27Z','relationship_type':'uses','source_ref':'" IND_ID "','target_ref':'" IDN_ID "'}",
        "modified must have at least 3 fraction digits");
    ok("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.123456789Z',"
       "'modified':'2016-08-08T15:50:10.123456789Z','name':'x'}");
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983+00:00',"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", "created must be a STIX timestamp");
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':20160808,"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", "created must be a STIX timestamp");
}

static void test_type_id_spec_version(void **state)
{
    (void)state;
    stix_meta m;
    bad("{'type':'identity','spec_version':'2.1','id':'file-1389b98d-a3d3-5190-a996-716fd444059a','created':"
        "'2016-08-08T15:50:10.983Z','modified':'2016-08-08T15:50:10.983Z','name':'x'}",
        "id 'file-1389b98d-a3d3-5190-a996-716fd444059a' is not of the form <type>--<uuid>");
    bad("{'type':'tool','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z',"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", "id does not match type");
    bad("{'type':'identity','spec_version':'2.2','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z',"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", "unsupported spec_version '2.2'");
    bad("{'type':'identity','spec_version':2.1,'id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z',"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x'}", "spec_version must be a string");
    bad("{'spec_version':'2.1','id':'" IDN_ID "'}", "missing required property 'type'");
    bad("{'type':'identity','spec_version':'2.1'}", "identity: missing required property 'id'");
    bad("{'type':'Identity','id':'" IDN_ID "'}", "is not a STIX type name");
    bad("{'type':'bundle','id':'bundle--" U1 "','objects':[]}", "bundle is not a STIX object");
    bad("[1,2]", "must be a JSON object");
    bad("'identity'", "must be a JSON object");
    /* UUID version SHOULDs are warnings: v1 on an SDO is accepted and noted */
    ok_m("{'type':'identity','spec_version':'2.1','id':'identity--f431f809-377b-15e0-aa1c-6a4751cae5ff','created':"
         "'2016-08-08T15:50:10.983Z','modified':'2016-08-08T15:50:10.983Z','name':'x'}", &m);
    assert_non_null(strstr(m.warnings, "UUID version 1"));
    bad("{'type':'identity','spec_version':'2.1','id':'identity--f431f809-377b-45e0-ca1c-6a4751cae5ff','created':"
        "'2016-08-08T15:50:10.983Z','modified':'2016-08-08T15:50:10.983Z','name':'x'}", "variant");
    /* JSON null is never a STIX value */
    bad("{'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z',"
        "'modified':'2016-08-08T15:50:10.983Z','name':'x','description':null}", "description must not be null");
}

static void test_common_optional_properties(void **state)
{
    (void)state;
#define ID21 "'type':'identity','spec_version':'2.1','id':'" IDN_ID "','created':'2016-08-08T15:50:10.983Z','modified':'2016-08-08T15:50:10.983Z','name':'x'"
    ok("{" ID21 ",'labels':['a'],'confidence':100,'revoked':false,'lang':'en','object_marking_refs':['" MD_ID "'],"
       "'external_references':[{'source_name':'cve','external_id':'CVE-2016-1234'}],"
       "'granular_markings':[{'selectors':['name'],'marking_ref':'" MD_ID "'},{'selectors':['description'],'lang':'de'}],"
       "'x_custom':{'anything':[1]}}");
    bad("{" ID21 ",'labels':[]}", "labels must not be an empty list");
    bad("{" ID21 ",'labels':['a',1]}", "labels[1] must be a string");
    bad("{" ID21 ",'labels':'a'}", "labels must be a list");
    bad("{" ID21 ",'confidence':101}", "confidence must be between 0 and 100");
    bad("{" ID21 ",'confidence':-1}", "confidence must be between 0 and 100");
    bad("{" ID21 ",'confidence':50.5}", "confidence must be an integer");
    bad("{" ID21 ",'revoked':'true'}", "revoked must be a boolean");
    bad("{" ID21 ",'lang':5}", "lang must be a string");
    bad("{" ID21 ",'created_by_ref':'" IND_ID "'}", "created_by_ref must refer to identity");
    bad("{" ID21 ",'object_marking_refs':['" IDN_ID "']}", "object_marking_refs[0] must refer to marking-definition");
    bad("{" ID21 ",'external_references':[{'url':'http://x'}]}", "external_references[0] needs a string source_name");
    bad("{" ID21 ",'external_references':[{'source_name':'x','url':7}]}", "external_references[0].url must be a string");
    bad("{" ID21 ",'granular_markings':[{'selectors':['name']}]}", "exactly one of marking_ref and lang");
    bad("{" ID21 ",'granular_markings':[{'selectors':['name'],'lang':'en','marking_ref':'" MD_ID "'}]}",
        "exactly one of marking_ref and lang");
    bad("{" ID21 ",'granular_markings':[{'selectors':[],'lang':'en'}]}", "non-empty list of selectors");
    bad("{" ID21 ",'granular_markings':[{'selectors':['name'],'marking_ref':'" IDN_ID "'}]}",
        "must refer to marking-definition");
    bad("{" ID21 ",'extensions':{}}", "extensions must not be empty");
    bad("{" ID21 ",'extensions':{'extension-definition--9ef47f81-1443-4632-8497-8b2878f8ac21':{'x':1}}}",
        "needs extension_type");
    ok("{" ID21 ",'extensions':{'extension-definition--9ef47f81-1443-4632-8497-8b2878f8ac21':"
       "{'extension_type':'property-extension','x':1}}}");
    /* any standard *_ref / *_refs must hold identifiers */
    bad("{" ID21 ",'sample_refs':['not-an-id']}", "sample_refs[0]: id 'not-an-id'");
}

static void test_sdo_rules(void **state)
{
    (void)state;
    /* malware: is_family required in 2.1, and name when it is true */
    bad("{" HDR21("malware", U1) ",'name':'x'}", "malware: missing required property 'is_family'");
    bad("{" HDR21("malware", U1) ",'is_family':true}", "'name' (required when is_family is true)");
    ok("{" HDR21("malware", U1) ",'is_family':false}");
    bad("{" HDR21("malware", U1) ",'is_family':'yes','name':'x'}", "is_family must be a boolean");
    bad("{" HDR21("malware", U1) ",'is_family':false,'sample_refs':['" IDN_ID "']}", "sample_refs[0] must refer to file or artifact");
    /* location */
    ok("{" HDR21("location", U1) ",'latitude':48.8566,'longitude':2.3522}");
    ok("{" HDR21("location", U1) ",'region':'europe'}");
    bad("{" HDR21("location", U1) ",'latitude':'48.8566','longitude':'2.3522'}", "latitude must be a number");
    bad("{" HDR21("location", U1) ",'latitude':48.8}", "latitude and longitude must be given together");
    bad("{" HDR21("location", U1) ",'latitude':91,'longitude':0}", "latitude must be between -90 and 90");
    bad("{" HDR21("location", U1) ",'latitude':0,'longitude':-180.5}", "longitude must be between -180 and 180");
    bad("{" HDR21("location", U1) ",'city':'Paris'}", "one of region, country, or latitude and longitude");
    /* observed-data */
#define OD "'first_observed':'2015-12-21T19:00:00Z','last_observed':'2015-12-21T19:00:00Z'"
    ok("{" HDR21("observed-data", U1) "," OD ",'number_observed':50,'object_refs':['ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd']}");
    bad("{" HDR21("observed-data", U1) "," OD ",'number_observed':0,'object_refs':['" IND_ID "']}",
        "number_observed must be between 1 and 999999999");
    bad("{" HDR21("observed-data", U1) "," OD ",'number_observed':1000000000,'object_refs':['" IND_ID "']}",
        "number_observed must be between 1 and 999999999");
    bad("{" HDR21("observed-data", U1) "," OD ",'number_observed':1}", "missing required property 'object_refs'");
    bad("{" HDR21("observed-data", U1) ",'first_observed':'2015-12-21T19:00:00Z','last_observed':'2015-12-20T19:00:00Z',"
        "'number_observed':1,'object_refs':['" IND_ID "']}", "last_observed must be later than or equal to first_observed");
    /* report, grouping, note, opinion */
    ok("{" HDR21("report", U1) ",'name':'r','published':'2016-01-20T17:00:00.000Z','object_refs':['" IND_ID "']}");
    bad("{" HDR21("report", U1) ",'name':'r','object_refs':['" IND_ID "']}", "report: missing required property 'published'");
    bad("{" HDR21("report", U1) ",'name':'r','published':'2016-01-20T17:00:00.000Z','object_refs':[]}",
        "object_refs must not be an empty list");
    bad("{" HDR21("grouping", U1) ",'object_refs':['" IND_ID "']}", "grouping: missing required property 'context'");
    ok("{" HDR21("note", U1) ",'content':'c','object_refs':['" IND_ID "']}");
    bad("{" HDR21("note", U1) ",'content':'c'}", "note: missing required property 'object_refs'");
    ok("{" HDR21("opinion", U1) ",'opinion':'agree','object_refs':['" IND_ID "']}");
    bad("{" HDR21("opinion", U1) ",'opinion':'meh','object_refs':['" IND_ID "']}", "opinion 'meh' is not in the opinion-enum");
    bad("{" HDR21("campaign", U1) ",'name':'c','first_seen':'2016-01-01T00:00:00Z','last_seen':'2015-01-01T00:00:00Z'}",
        "last_seen must be later than or equal to first_seen");
    bad("{" HDR21("attack-pattern", U1) ",'name':'a','kill_chain_phases':[{'kill_chain_name':'k'}]}",
        "kill_chain_phases[0] must have string kill_chain_name and phase_name");
    bad("{" HDR21("malware-analysis", U1) ",'product':'p'}", "one of result or analysis_sco_refs");
    bad("{" HDR21("vulnerability", U1) "}", "vulnerability: missing required property 'name'");
}

static void test_sro_rules(void **state)
{
    (void)state;
#define REL21 HDR21("relationship", U1)
    ok("{" REL21 ",'relationship_type':'indicates','source_ref':'" IND_ID "','target_ref':'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b'}");
    bad("{" REL21 ",'relationship_type':'indicates','source_ref':'" IND_ID "'}", "relationship: missing required property 'target_ref'");
    bad("{" REL21 ",'relationship_type':'indicates','source_ref':'" IND_ID "','target_ref':'example:ttp-66647c79-5766-4ca7-ab8a-a579056e3c83'}",
        "target_ref: id 'example:ttp-66647c79");
    bad("{" REL21 ",'relationship_type':'x','source_ref':'" IND_ID "','target_ref':'" IDN_ID "','start_time':"
        "'2016-01-01T00:00:00Z','stop_time':'2015-01-01T00:00:00Z'}", "stop_time must be later than start_time");
#define SIG21 HDR21("sighting", U1)
    ok("{" SIG21 ",'sighting_of_ref':'" IND_ID "','where_sighted_refs':['" IDN_ID "','location--" U1 "'],"
       "'observed_data_refs':['observed-data--" U1 "'],'count':0}");
    bad("{" SIG21 "}", "sighting: missing required property 'sighting_of_ref'");
    bad("{" SIG21 ",'sighting_of_ref':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd'}", "sighting_of_ref must refer to an SDO");
    bad("{" SIG21 ",'sighting_of_ref':'" IND_ID "','where_sighted_refs':['" IND_ID "']}",
        "where_sighted_refs[0] must refer to identity or location");
    bad("{" SIG21 ",'sighting_of_ref':'" IND_ID "','observed_data_refs':['" IND_ID "']}",
        "observed_data_refs[0] must refer to observed-data");
    bad("{" SIG21 ",'sighting_of_ref':'" IND_ID "','count':-1}", "count must be between 0 and 999999999");
    bad("{" SIG21 ",'sighting_of_ref':'" IND_ID "','count':1000000000}", "count must be between 0 and 999999999");
}

static void test_meta_objects(void **state)
{
    (void)state;
    stix_meta m;
    /* TLP 1.0 white; created is the version; no modified */
    ok_m("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z',"
         "'definition_type':'tlp','name':'TLP:WHITE','definition':{'tlp':'white'}}", &m);
    assert_int_equal(m.has_version, 1);
    assert_string_equal(m.version, "2017-01-20T00:00:00.000Z");
    assert_string_equal(m.warnings, "");
    /* OpenCTI writes TLP:CLEAR on the TLP:WHITE id: accepted, with a warning */
    ok_m("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z',"
       "'definition_type':'tlp','name':'TLP:CLEAR','definition':{'tlp':'clear'}}", &m);
    assert_non_null(strstr(m.warnings, "four fixed TLP 1.0"));
    bad("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z',"
        "'definition_type':'tlp','definition':{'tlp':'purple'}}", "tlp definition needs");
    /* a modified on a marking-definition is a warning, not a failure */
    ok_m("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z',"
         "'modified':'2017-01-21T00:00:00.000Z','definition_type':'statement','definition':{'statement':'(c) x'}}", &m);
    assert_non_null(strstr(m.warnings, "modified"));
    bad("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z','name':'x'}",
        "missing required property 'definition_type'");
    bad("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z',"
        "'definition_type':'statement','definition':{'text':'x'}}", "statement definition needs");
    /* TLP 2.0 through the extension, without definition_type */
    ok("{'type':'marking-definition','spec_version':'2.1','id':'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',"
       "'created':'2022-10-01T00:00:00.000Z','name':'TLP:CLEAR','extensions':{'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d':"
       "{'extension_type':'property-extension','tlp_2_0':'clear'}}}");
    bad("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2016-08-01T00:00:00.000Z',"
        "'extensions':{'extension-definition--9ef47f81-1443-4632-8497-8b2878f8ac21':{'extension_type':'property_extension'}}}",
        "extension_type 'property_extension' is not one of");
    bad("{'type':'marking-definition','spec_version':'2.1','id':'" MD_ID "','created':'2017-01-20T00:00:00.000Z',"
        "'definition_type':'tlp','definition':{'tlp':'red'},'object_marking_refs':['" MD_ID "']}", "must not refer to the marking-definition itself");
    /* extension-definition */
#define EXT21 HDR21("extension-definition", "9ef47f81-1443-4632-8497-8b2878f8ac21")
    ok("{" EXT21 ",'created_by_ref':'" IDN_ID "','name':'n','schema':'https://x','version':'1.0.0','extension_types':['new-sdo','property-extension']}");
    bad("{" EXT21 ",'name':'n','schema':'s','version':'1','extension_types':['new-sdo']}",
        "extension-definition: missing required property 'created_by_ref'");
    bad("{" EXT21 ",'created_by_ref':'" IDN_ID "','name':'n','schema':'s','version':'1','extension_types':['new-thing']}",
        "extension_types[0] 'new-thing' is not an extension type");
    bad("{" EXT21 ",'created_by_ref':'" IDN_ID "','name':'n','schema':'s','version':'1','extension_types':['new-sdo'],"
        "'extension_properties':['a_b']}", "extension_properties needs");
    bad("{'type':'extension-definition','id':'extension-definition--9ef47f81-1443-4632-8497-8b2878f8ac21','created':"
        "'2016-04-06T20:03:48.000Z','modified':'2016-04-06T20:03:48.000Z'}", "missing required property 'spec_version'");
    /* language-content */
    ok("{" HDR21("language-content", U1) ",'object_ref':'" IND_ID "','contents':{'de':{'name':'x'}}}");
    bad("{" HDR21("language-content", U1) ",'object_ref':'" IND_ID "','contents':{'de':'x'}}", "contents['de'] must be an object");
    bad("{" HDR21("language-content", U1) ",'contents':{'de':{}}}", "missing required property 'object_ref'");
}

static void test_scos(void **state)
{
    (void)state;
    stix_meta m;
    ok_m("{'type':'ipv4-addr','id':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd','value':'198.51.100.3'}", &m);
    assert_int_equal(m.has_version, 0);
    assert_string_equal(m.version, "");
    assert_string_equal(m.spec_version, "2.1");
    bad("{'type':'ipv4-addr','id':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd'}", "ipv4-addr: missing required property 'value'");
    bad("{'type':'ipv4-addr','id':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd','value':'1.2.3.4','resolves_to_refs':['" IND_ID "']}",
        "resolves_to_refs[0] must refer to mac-addr");
    bad("{'type':'domain-name','id':'domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5','value':'x.com',"
        "'resolves_to_refs':['file--" U1 "']}", "resolves_to_refs[0] must refer to ipv4-addr, ipv6-addr or domain-name");
    bad("{'type':'file','id':'file--" U1 "','size':1}", "file: one of hashes or name is required");
    ok("{'type':'file','id':'file--" U1 "','hashes':{'SHA-256':'ab'}}");
    bad("{'type':'file','id':'file--" U1 "','hashes':{}}", "hashes must not be empty");
    bad("{'type':'artifact','id':'artifact--" U1 "','payload_bin':'AA==','url':'http://x','hashes':{'MD5':'a'}}",
        "payload_bin and url must not both be present");
    bad("{'type':'artifact','id':'artifact--" U1 "','url':'http://x'}", "missing required property 'hashes' (required with url)");
    ok("{'type':'artifact','id':'artifact--" U1 "','payload_bin':'aGVsbG8='}");
    bad("{'type':'artifact','id':'artifact--" U1 "','payload_bin':'VBORw0KGgoAAAANSUhEUgAAADI== ...'}", "payload_bin must be base64 binary");
    bad("{'type':'artifact','id':'artifact--" U1 "','payload_bin':'aGVsbG8'}", "payload_bin must be base64 binary");
    bad("{'type':'file','id':'file--" U1 "','name':'x','magic_number_hex':'FFD8F'}", "magic_number_hex must be a hex string");
    ok("{'type':'file','id':'file--" U1 "','name':'x','magic_number_hex':'FFD8FF'}");
    bad("{'type':'network-traffic','id':'network-traffic--" U1 "','src_ref':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd'}",
        "network-traffic: missing required property 'protocols'");
    bad("{'type':'network-traffic','id':'network-traffic--" U1 "','protocols':'tcp','src_ref':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd'}",
        "protocols must be a list");
    bad("{'type':'network-traffic','id':'network-traffic--" U1 "','protocols':['tcp']}", "one of src_ref or dst_ref");
    bad("{'type':'network-traffic','id':'network-traffic--" U1 "','protocols':['tcp'],'dst_ref':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd','dst_port':70000}",
        "dst_port must be between 0 and 65535");
    bad("{'type':'email-message','id':'email-message--" U1 "'}", "email-message: missing required property 'is_multipart'");
    bad("{'type':'email-message','id':'email-message--" U1 "','is_multipart':false,'body_multipart':[{'body':'x'}]}",
        "body_multipart must not be present when is_multipart is false");
    bad("{'type':'x509-certificate','id':'x509-certificate--" U1 "'}", "at least one x509-certificate property");
    bad("{'type':'process','id':'process--" U1 "'}", "at least one process property");
    ok("{'type':'process','id':'process--" U1 "','pid':1221}");
    bad("{'type':'network-traffic','id':'network-traffic--" U1 "','protocols':['tcp'],'dst_ref':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',"
        "'is_active':true,'end':'2016-01-01T00:00:00Z'}", "end must not be present when is_active is true");
    ok("{'type':'x509-certificate','id':'x509-certificate--" U1 "','serial_number':'01'}");
    bad("{'type':'autonomous-system','id':'autonomous-system--" U1 "','number':'15139'}", "number must be an integer");
    bad("{'type':'ipv4-addr','spec_version':'2.0','id':'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd','value':'1.2.3.4'}",
        "STIX 2.1 only");
}

static void test_custom_and_stix20(void **state)
{
    (void)state;
    stix_meta m;
    /* custom types get the common checks only */
    ok_m("{'type':'x-mitre-tactic','spec_version':'2.1','id':'x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263',"
         "'created':'2018-10-17T00:14:20.652Z','modified':'2022-04-25T14:00:00.188Z','x_mitre_shortname':'collection'}", &m);
    assert_string_equal(m.version, "2022-04-25T14:00:00.188Z");
    ok("{'type':'my-favorite-sco','id':'my-favorite-sco--" U1 "','some':'thing'}");
    bad("{'type':'x-foo','spec_version':'2.1','id':'x-foo--" U1 "','created':'2018-10-17T00:14:20.652Z',"
        "'modified':'2017-10-17T00:14:20.652Z'}", "modified is earlier than created");
    /* STIX 2.0: no spec_version on an SDO */
    ok_m("{'type':'indicator','id':'" IND_ID "','created':'2021-08-23T18:48:27.618Z','modified':'2021-08-24T12:58:14.377Z',"
         "'pattern':'[file:name = \\u0027x\\u0027]','valid_from':'2021-08-23T18:48:27.618Z','labels':['malicious-activity']}", &m);
    assert_string_equal(m.spec_version, "2.0");
    assert_string_equal(m.warnings, "");
    bad("{'type':'indicator','id':'" IND_ID "','created':'2021-08-23T18:48:27.618Z','modified':'2021-08-24T12:58:14.377Z',"
        "'pattern':'x','valid_from':'2021-08-23T18:48:27.618Z'}", "indicator: missing required property 'labels'");
    bad("{'type':'malware','id':'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b','created':'2021-08-23T18:48:27.618Z',"
        "'modified':'2021-08-24T12:58:14.377Z','name':'x'}", "malware: missing required property 'labels'");
    bad("{'type':'identity','id':'" IDN_ID "','created':'2021-08-23T18:48:27.618Z','modified':'2021-08-24T12:58:14.377Z',"
        "'name':'x'}", "identity: missing required property 'identity_class'");
    /* 2.0 given explicitly follows the same rules */
    bad("{'type':'tool','spec_version':'2.0','id':'tool--" U1 "','created':'2021-08-23T18:48:27.618Z',"
        "'modified':'2021-08-24T12:58:14.377Z','name':'x'}", "tool: missing required property 'labels'");
    /* more than 3 fraction digits in 2.0: accepted, noted; fewer: refused */
    ok_m("{'type':'vulnerability','id':'vulnerability--" U1 "','created':'2021-08-23T18:48:27.618123Z',"
         "'modified':'2021-08-24T12:58:14.377Z','name':'x'}", &m);
    assert_non_null(strstr(m.warnings, "exactly 3 fraction digits"));
    bad("{'type':'vulnerability','id':'vulnerability--" U1 "','created':'2021-08-23T18:48:27Z',"
        "'modified':'2021-08-24T12:58:14.377Z','name':'x'}", "created must have at least 3 fraction digits");
    /* 2.1-only types have no 2.0 form */
    bad("{'type':'grouping','id':'grouping--" U1 "','created':'2021-08-23T18:48:27.618Z','modified':'2021-08-24T12:58:14.377Z',"
        "'context':'x','object_refs':['" IND_ID "']}", "grouping: missing required property 'spec_version'");
}

/* Wrong JSON types in every position must produce a reason, never a crash. */
static void test_hostile_shapes(void **state)
{
    (void)state;
    const char *props[] = {"type", "id", "spec_version", "created", "modified", "labels", "extensions",
                           "granular_markings", "external_references", "object_marking_refs", "name",
                           "pattern", "object_refs", "contents", "definition", "definition_type",
                           "body_multipart", "latitude", "is_family", "opinion", "extension_types",
                           "hashes", "kill_chain_phases", "where_sighted_refs", "created_by_ref", "x_y_ref"};
    const char *values[] = {"null", "1", "-1.5", "true", "'s'", "[]", "[null]", "[1]", "[{}]", "{}",
                            "{'a':null}", "{'a':1}", "[[]]", "''"};
    const char *types[] = {"indicator", "marking-definition", "language-content", "extension-definition",
                           "email-message", "location", "malware", "opinion", "sighting", "x-custom", "file"};
    char buf[1024];
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (size_t p = 0; p < sizeof props / sizeof props[0]; p++)
            for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
                snprintf(buf, sizeof buf,
                         "{'type':'%s','spec_version':'2.1','id':'%s--" U1 "','created':'2016-04-06T20:03:48.000Z',"
                         "'modified':'2016-04-06T20:03:48.000Z','%s':%s}",
                         types[t], types[t], props[p], values[v]);
                json_object *o = J(buf);
                stix_meta m;
                char reason[64]; /* short on purpose: truncation must be safe */
                if (stix_validate(o, &m, reason, sizeof reason) != 0)
                    assert_true(reason[0] != '\0');
                json_object_put(o);
            }
    /* NULL meta and reason are allowed */
    json_object *o = J("{'type':'x-foo','id':'x-foo--" U1 "'}");
    assert_int_equal(stix_validate(o, NULL, NULL, 0), 0);
    json_object_put(o);
    assert_int_equal(stix_validate(NULL, NULL, NULL, 0), -1);
}

/* ---------------------------------------------------------------------------------------------
 * Real data
 * ------------------------------------------------------------------------------------------- */

static void data_root(char *out, size_t cap)
{
    const char *env = getenv("ENLACE_SHARED_DATA");
    const char *src = getenv("ENLACE_SRC");
    if (env != NULL)
        snprintf(out, cap, "%s", env);
    else
        snprintf(out, cap, "%s/../shared/data", src != NULL ? src : ".");
}

typedef struct tally {
    int files, ok, bad;
    char reasons[64][160];  /* distinct reasons (ids blanked), with counts */
    int counts[64];
    int nreasons;
} tally;

/* Replace the UUID part of ids with "…" so that reasons group. */
static void blank_ids(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; in[i] != '\0' && o + 4 < cap; i++) {
        if (in[i] == '-' && in[i + 1] == '-' && strlen(in + i + 2) >= 36) {
            memcpy(out + o, "--<uuid>", 8 <= cap - o - 1 ? 8 : 0);
            o += 8;
            i += 37;
            continue;
        }
        out[o++] = in[i];
    }
    out[o] = '\0';
}

static void tally_reason(tally *t, const char *reason)
{
    char r[160];
    blank_ids(reason, r, sizeof r);
    for (int i = 0; i < t->nreasons; i++)
        if (strcmp(t->reasons[i], r) == 0) {
            t->counts[i]++;
            return;
        }
    if (t->nreasons < 64) {
        snprintf(t->reasons[t->nreasons], sizeof t->reasons[0], "%s", r);
        t->counts[t->nreasons++] = 1;
    }
}

/* Validate one object; on refusal record the reason. Returns 0 when valid. */
static int check_obj(json_object *o, tally *t, const char *file, int verbose)
{
    stix_meta m;
    char reason[512];
    if (stix_validate(o, &m, reason, sizeof reason) == 0) {
        t->ok++;
        return 0;
    }
    t->bad++;
    tally_reason(t, reason);
    if (verbose)
        printf("#   refused in %s: %s\n", file, reason);
    return -1;
}

/* The objects of a file: a bundle's objects, a bare array, or a single object. */
static json_object *file_objects(json_object *doc, int *single)
{
    json_object *objs = NULL;
    *single = 0;
    if (json_object_is_type(doc, json_type_array))
        return doc;
    if (json_object_is_type(doc, json_type_object) && json_object_object_get_ex(doc, "objects", &objs) &&
        strcmp(json_object_get_string(json_object_object_get(doc, "type")), "bundle") == 0)
        return objs;
    *single = 1;
    return doc;
}

static void walk(const char *dir, tally *t, int verbose)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, t, verbose);
            continue;
        }
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0 || strcmp(e->d_name, "_index.json") == 0 ||
            strcmp(e->d_name, "index.json") == 0 || strncmp(e->d_name, "sample_", 7) == 0)
            continue;
        json_object *doc = json_object_from_file(path);
        if (doc == NULL)
            fail_msg("%s does not parse", path);
        t->files++;
        int single;
        json_object *objs = file_objects(doc, &single);
        if (single)
            check_obj(objs, t, e->d_name, verbose);
        else
            for (size_t i = 0; i < json_object_array_length(objs); i++)
                check_obj(json_object_array_get_idx(objs, i), t, e->d_name, verbose);
        json_object_put(doc);
    }
    closedir(d);
}

static void print_tally(const char *name, const tally *t)
{
    printf("# %-45s files %4d  objects %5d  accepted %5d  refused %4d\n", name, t->files, t->ok + t->bad, t->ok, t->bad);
    for (int i = 0; i < t->nreasons; i++)
        printf("#     %4d x %s\n", t->counts[i], t->reasons[i]);
}

/* The folders the brief says must validate completely. */
static void test_real_data_accepted(void **state)
{
    (void)state;
    char root[2048];
    data_root(root, sizeof root);
    const char *must[] = {"attack-stix21", "stix21-realworld", "stix21-examples/oasis-json-schemas-examples",
                          "stix21-examples/oasis-stix-validator-valid"};
    int seen = 0;
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, must[i]);
        struct stat st;
        if (stat(dir, &st) != 0) {
            printf("# skip %s: not present\n", dir);
            continue;
        }
        seen++;
        tally *t = calloc(1, sizeof *t);
        assert_non_null(t);
        walk(dir, t, 1);
        print_tally(must[i], t);
        assert_true(t->files > 0);
        assert_int_equal(t->bad, 0);
        free(t);
    }
    if (seen == 0)
        printf("# skip: no real data under %s\n", root);
}

/* Folders with known-invalid objects: print what we refuse and why (the demo shows this). */
static void test_real_data_report(void **state)
{
    (void)state;
    char root[2048];
    data_root(root, sizeof root);
    const char *folders[] = {"stix21-examples/oasis-cti-documentation-examples", "stix21-examples/oasis-stix-slider-idioms-2.1",
                             "stix21-examples/oasis-stix-elevator-idioms-2.1", "stix21-examples/stix-v2.1-spec-examples"};
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, folders[i]);
        struct stat st;
        if (stat(dir, &st) != 0) {
            printf("# skip %s: not present\n", dir);
            continue;
        }
        tally *t = calloc(1, sizeof *t);
        assert_non_null(t);
        walk(dir, t, 0);
        print_tally(folders[i], t);
        assert_true(t->ok > 0);
        free(t);
    }
}

/* Validate every object of root/rel and require that one is refused with a reason containing
 * want. Returns 0 when the file is absent (skip). */
static int expect_refused(const char *root, const char *rel, const char *want)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("# skip %s: not present\n", path);
        return 0;
    }
    json_object *doc = json_object_from_file(path);
    assert_non_null(doc);
    int single, found = 0;
    json_object *objs = file_objects(doc, &single);
    size_t n = single ? 1 : json_object_array_length(objs);
    char seen[1024] = "";
    for (size_t i = 0; i < n; i++) {
        json_object *o = single ? objs : json_object_array_get_idx(objs, i);
        char reason[512];
        stix_meta m;
        if (stix_validate(o, &m, reason, sizeof reason) != 0) {
            if (strstr(reason, want) != NULL)
                found = 1;
            snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "[%s] ", reason);
        }
    }
    json_object_put(doc);
    if (!found)
        fail_msg("%s: no object refused with '%s'; refusals: %s", rel, want, seen);
    return 1;
}

static void test_known_invalid_refused(void **state)
{
    (void)state;
    char root[2048];
    data_root(root, sizeof root);
    const char *spec = "stix21-examples/stix-v2.1-spec-examples/";
    char rel[512];
    struct { const char *file; const char *want; } cases[] = {
        {"001_object-property-metadata_file.json", "id 'file-1389b98d-a3d3-5190-a996-716fd444059a' is not of the form <type>--<uuid>"},
        {"021_location_location.json", "location: latitude must be a number"},
        {"034_report_bundle.json", "indicator: missing required property 'pattern_type'"},
        {"133_relationships_bundle.json", "indicator: missing required property 'pattern_type'"},
        {"178_extension-definition-additional-examples_marking-definition.json", "extension_type 'property_extension'"},
        {"134_observation-expressions_observed-data.json", "observed-data: missing required property 'created'"},
        {"040_artifact-object_artifact.json", "artifact: payload_bin must be base64 binary"},
    };
    int done = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(rel, sizeof rel, "%s%s", spec, cases[i].file);
        done += expect_refused(root, rel, cases[i].want);
    }
    done += expect_refused(root, "stix21-examples/invalid/validator_invalid_identity.json",
                           "identity: missing required property 'modified'");
    done += expect_refused(root, "stix21-examples/invalid/validator_invalid_timestamp.json",
                           "identity: modified is earlier than created");
    /* ATT&CK 3.3.0 sample: the relationship stamped "...:27Z" has no milliseconds */
    done += expect_refused(root, "attack-stix21/sample_3.3.0_stix-detection-strategy.json",
                           "relationship: created must have at least 3 fraction digits");
    if (done == 0)
        printf("# skip: no real data under %s\n", root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_indicator_and_meta),
        cmocka_unit_test(test_created_modified),
        cmocka_unit_test(test_type_id_spec_version),
        cmocka_unit_test(test_common_optional_properties),
        cmocka_unit_test(test_sdo_rules),
        cmocka_unit_test(test_sro_rules),
        cmocka_unit_test(test_meta_objects),
        cmocka_unit_test(test_scos),
        cmocka_unit_test(test_custom_and_stix20),
        cmocka_unit_test(test_hostile_shapes),
        cmocka_unit_test(test_real_data_accepted),
        cmocka_unit_test(test_real_data_report),
        cmocka_unit_test(test_known_invalid_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
