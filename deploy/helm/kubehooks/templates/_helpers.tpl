{{- define "kubehooks.labels" -}}
app.kubernetes.io/name: kubehooks
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
{{- define "kubehooks.webhookName" -}}
{{ .Release.Name }}-webhook
{{- end }}
{{- define "kubehooks.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ prepend .exclude "kube-system" | toJson }}
{{- end }}
{{- define "kubehooks.controllerName" -}}
{{ .Release.Name }}-controller
{{- end }}
