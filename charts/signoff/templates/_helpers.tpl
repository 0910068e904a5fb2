{{- define "signoff.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "signoff.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "signoff.server" -}}{{ include "signoff.fullname" . | trunc 56 | trimSuffix "-" }}-server{{- end -}}
{{- define "signoff.webhook" -}}{{ include "signoff.fullname" . | trunc 55 | trimSuffix "-" }}-webhook{{- end -}}

{{- define "signoff.labels" -}}
app.kubernetes.io/name: {{ include "signoff.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "signoff.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "signoff.webhookTlsSecret" -}}
{{- if .Values.tls.certManager.enabled -}}{{ include "signoff.webhook" . }}-tls{{- else -}}{{ required "tls.existingSecret is required when tls.certManager.enabled is false" .Values.tls.existingSecret }}{{- end -}}
{{- end -}}

{{- define "signoff.apiKeySecret" -}}
{{- if .Values.webhook.apiKey.existingSecret -}}{{ .Values.webhook.apiKey.existingSecret }}{{- else -}}{{ include "signoff.webhook" . }}-api-key{{- end -}}
{{- end -}}
