// render_chart against outputs of the Go reference renderer (gotpl-ref
// chart): the template objects, import-values, library charts, .helmignore,
// tags, conditions, globals and user nulls in nested subcharts.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "render/chart.h"
#include "tests/render/test_util.h"

namespace {

namespace fs = std::filesystem;
using cairn::render::testing::FileList;

fs::path write_tree(const std::string& name, const FileList& files) {
  return cairn::render::testing::write_tree("chart_reference_test", name, files);
}

// gotpl-ref chart obj --name rel --namespace ns
const FileList kObjectsChart = {
    {".helmignore",
     R"~(*.conf
)~"},
    {"Chart.yaml",
     R"~(apiVersion: v2
name: obj
version: 1.2.3-rc.1
appVersion: "1.0"
keywords: [a, b]
maintainers:
  - name: Me
    email: me@x.io
annotations:
  foo: bar
  num: 5
dependencies:
  - name: lib
    version: 0.1.0
    repository: file://lib
    import-values:
      - data
      - child: other
        parent: imported.deep
)~"},
    {"charts/lib/Chart.yaml",
     R"~(apiVersion: v2
name: lib
version: 0.1.0
type: library
)~"},
    {"charts/lib/templates/_lib.tpl",
     R"~({{- define "lib.hello" -}}hello from lib{{- end -}}
)~"},
    {"charts/lib/templates/ignored.yaml",
     R"~(kind: ShouldNotRender
)~"},
    {"charts/lib/values.yaml",
     R"~(exports:
  data:
    fromlib: 1
other:
  o: 2
)~"},
    {"files/a.txt",
     R"~(line1
line2
)~"},
    {"files/c.conf",
     R"~(secret)~"},
    {"files/sub/b.yaml",
     R"~(k: v
)~"},
    {"templates/all.yaml",
     R"~(apiVersion: v1
kind: ConfigMap
metadata:
  name: objs
data:
  lib: {{ include "lib.hello" . }}
  get: {{ .Files.Get "files/a.txt" | quote }}
  lines: {{ .Files.Lines "files/a.txt" | toJson | quote }}
  globyaml: {{ (.Files.Glob "files/*.{txt,yaml}").AsConfig | quote }}
  conf: {{ .Files.Get "files/c.conf" | quote }}
  helmignore: {{ .Files.Get ".helmignore" | quote }}
  chartname: {{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Chart.IsRoot }} {{ .Chart.Keywords }}
  ann: {{ .Chart.Annotations.num | quote }}
  maint: {{ (index .Chart.Maintainers 0).Name }}
  dep: {{ (index .Chart.Dependencies 0).ImportValues | toJson | quote }}
  caps: {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion.GitVersion }}
  helm: {{ .Capabilities.HelmVersion.Version }} {{ .Capabilities.HelmVersion.GitCommit }}
  has: {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" }}
  values: {{ .Values | toJson | quote }}
  rev: {{ .Release.Revision }} {{ printf "%T" .Release.Revision }} {{ .Release.IsInstall }} {{ .Release.Service }}
  tmpl: {{ .Template.BasePath }}
  subcharts: {{ keys .Subcharts | toJson | quote }}
  tpl: {{ tpl "{{ .Values.x }}-{{ include \"lib.hello\" . }}" . }}
---
{{ (.Files.Glob "files/*").AsConfig }}
---
{{ (.Files.Glob "files/*.txt").AsSecrets }}
)~"},
    {"values.yaml",
     R"~(x: 1
)~"}};

const char* const kObjectsExpected = R"~(---
# Source: obj/templates/all.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: objs
data:
  lib: hello from lib
  get: "line1\nline2\n"
  lines: "[\"line1\",\"line2\"]"
  globyaml: "a.txt: |\n  line1\n  line2"
  conf: ""
  helmignore: "*.conf\n"
  chartname: obj 1.2.3-rc.1 1.0 true [a b]
  ann: "5"
  maint: Me
  dep: "[{\"child\":\"exports.data\",\"parent\":\".\"},{\"child\":\"other\",\"parent\":\"imported.deep\"}]"
  caps: v1.34.0 1 34 v1.34.0
  helm: v3.19.0 3d8990f0836691f0229297773f3524598f46bda6
  has: false
  values: "{\"fromlib\":1,\"imported\":{\"deep\":{\"o\":2}},\"lib\":{\"exports\":{\"data\":{\"fromlib\":1}},\"global\":{},\"other\":{\"o\":2}},\"x\":1}"
  rev: 1 int true Helm
  tmpl: obj/templates
  subcharts: "[\"lib\"]"
  tpl: 1-hello from lib
---
# Source: obj/templates/all.yaml
a.txt: |
  line1
  line2
---
# Source: obj/templates/all.yaml
a.txt: bGluZTEKbGluZTIK
)~";

// gotpl-ref chart co -f user.yaml
const FileList kCoalesceChart = {
    {"Chart.yaml",
     R"~(apiVersion: v2
name: co
version: 1.0.0
dependencies:
  - name: a
    version: "~1.0"
    tags: [t1, t2]
)~"},
    {"charts/a/Chart.yaml",
     R"~(apiVersion: v2
name: a
version: 1.0.5
dependencies:
  - name: b
    version: "*"
    condition: b.enabled,global.benabled
)~"},
    {"charts/a/charts/b/Chart.yaml",
     R"~(apiVersion: v2
name: b
version: 2.0.0
)~"},
    {"charts/a/charts/b/templates/b.yaml",
     R"~(kind: B
values: {{ .Values | toJson }}
)~"},
    {"charts/a/charts/b/values.yaml",
     R"~(bval: 1
)~"},
    {"charts/a/templates/a.yaml",
     R"~(kind: A
values: {{ .Values | toJson }}
)~"},
    {"charts/a/values.yaml",
     R"~(global:
  g1: child
  g2: child
  tbl: {y: 2}
keep: 0
drop: 0
nested: {n: 1}
)~"},
    {"templates/r.yaml",
     R"~(kind: Root
values: {{ .Values | toJson }}
)~"},
    {"values.yaml",
     R"~(global:
  g1: parent
  tbl: {x: 1}
tags:
  t1: false
  t2: true
a:
  keep: 1
  drop: 2
  b:
    enabled: false
    z: 1
)~"}};

const char* const kCoalesceUser = R"~(a:
  drop: null
  nested:
    n: null
  b:
    enabled: true
)~";

const char* const kCoalesceExpected = R"~(---
# Source: co/charts/a/templates/a.yaml
kind: A
values: {"b":{"bval":1,"enabled":true,"global":{"g1":"parent","g2":"child","tbl":{"true":2,"x":1}},"z":1},"global":{"g1":"parent","g2":"child","tbl":{"true":2,"x":1}},"keep":1,"nested":{}}
---
# Source: co/charts/a/charts/b/templates/b.yaml
kind: B
values: {"bval":1,"enabled":true,"global":{"g1":"parent","g2":"child","tbl":{"true":2,"x":1}},"z":1}
---
# Source: co/templates/r.yaml
kind: Root
values: {"a":{"b":{"bval":1,"enabled":true,"global":{"g1":"parent","g2":"child","tbl":{"true":2,"x":1}},"z":1},"global":{"g1":"parent","g2":"child","tbl":{"true":2,"x":1}},"keep":1,"nested":{}},"global":{"g1":"parent","tbl":{"x":1}},"tags":{"t1":false,"t2":true}}
)~";

}  // namespace

TEST_CASE("render_chart: .Files, .Chart, .Capabilities, .Release, .Template, import-values") {
  cairn::render::ChartRenderOptions o;
  o.chart = write_tree("objects", kObjectsChart).string();
  o.release_name = "rel";
  o.namespace_name = "ns";
  auto out = cairn::render::render_chart(o);
  REQUIRE(out);
  CHECK(*out == kObjectsExpected);
}

TEST_CASE("render_chart: tags, conditions, globals and user nulls in nested subcharts") {
  cairn::render::ChartRenderOptions o;
  o.chart = write_tree("coalesce", kCoalesceChart).string();
  o.values_files = {(write_tree("coalesce-user", {{"user.yaml", kCoalesceUser}}) / "user.yaml")
                        .string()};
  auto out = cairn::render::render_chart(o);
  REQUIRE(out);
  CHECK(*out == kCoalesceExpected);
}
