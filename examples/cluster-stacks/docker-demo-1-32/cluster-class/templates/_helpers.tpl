{{/*
Chart name, truncated to the 63 characters a label value may have.
*/}}
{{- define "cluster-class.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of the ClusterClass: <release name>-<chart version>. CSO renders this
chart with the release name <provider>-<name>-<major>-<minor>, so this is the
ClusterClass name a Cluster's spec.topology.class refers to.
*/}}
{{- define "cluster-class.className" -}}
{{- printf "%s-%s" .Release.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of one template object of this class. Called with a list: the root
context and a suffix, e.g. (list . "control-plane").
*/}}
{{- define "cluster-class.templateName" -}}
{{- $root := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- printf "%s-%s" (include "cluster-class.className" $root) $suffix | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "cluster-class.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "cluster-class.labels" -}}
helm.sh/chart: {{ include "cluster-class.chart" . }}
app.kubernetes.io/name: {{ include "cluster-class.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
A map of string flags (extraArgs, kubeletExtraArgs) as YAML lines with every
value quoted, so that "false" or "100" stay strings.
*/}}
{{- define "cluster-class.stringMap" -}}
{{- $lines := list -}}
{{- range $key, $value := . -}}
{{- $lines = append $lines (printf "%s: %s" $key ($value | toString | quote)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end }}

{{/*
nodeRegistration of kubeadm init/join configurations. Called with a dict:
root (the chart context) and extraArgs (additional kubelet flags).
*/}}
{{- define "cluster-class.nodeRegistration" -}}
criSocket: {{ .root.Values.kubelet.criSocket }}
kubeletExtraArgs:
  {{- include "cluster-class.stringMap" (merge (dict) .extraArgs .root.Values.kubelet.extraArgs) | nindent 2 }}
{{- end }}

{{/*
machineHealthCheck of the control plane or a worker class.
*/}}
{{- define "cluster-class.machineHealthCheck" -}}
maxUnhealthy: {{ .maxUnhealthy | quote }}
nodeStartupTimeout: {{ .nodeStartupTimeout | default "10m" }}
unhealthyConditions:
{{- range .unhealthyConditions }}
  - type: {{ .type }}
    status: {{ .status | quote }}
    timeout: {{ .timeout }}
{{- end }}
{{- end }}
