{{/*
Name prefix of the addon's own objects.
*/}}
{{- define "cluster-addon.fullname" -}}
{{- printf "%s-%s" .Release.Name "demo" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels of the addon's own objects.
*/}}
{{- define "cluster-addon.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Name of the workload cluster, "unknown" when the operator did not set it.
*/}}
{{- define "cluster-addon.clusterName" -}}
{{- .Values.global.clusterName | default "unknown" }}
{{- end }}
