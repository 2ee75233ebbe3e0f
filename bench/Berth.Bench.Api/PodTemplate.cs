namespace Berth.Bench.Api;

/// <summary>A realistic pod of about 3 KB, as a Deployment's ReplicaSet would create it.</summary>
internal static class PodTemplate
{
    /// <summary>A pod owned by the replica set with uid <paramref name="ownerUid"/> (which must exist, or the garbage collector takes the pod).</summary>
    public static string Json(string name, string ns, string ownerUid) => Template
        .Replace("@NAME@", name, StringComparison.Ordinal)
        .Replace("@NAMESPACE@", ns, StringComparison.Ordinal)
        .Replace("@OWNER_UID@", ownerUid, StringComparison.Ordinal);

    /// <summary>The replica set that owns the pods.</summary>
    public static string OwnerJson(string ns) => OwnerTemplate.Replace("@NAMESPACE@", ns, StringComparison.Ordinal);

    private const string OwnerTemplate = """
        {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"checkout-7d9c8f5b6d","namespace":"@NAMESPACE@","labels":{"app":"checkout","pod-template-hash":"7d9c8f5b6d"}},
         "spec":{"replicas":0,"selector":{"matchLabels":{"app":"checkout","pod-template-hash":"7d9c8f5b6d"}},
          "template":{"metadata":{"labels":{"app":"checkout","pod-template-hash":"7d9c8f5b6d"}},"spec":{"containers":[{"name":"checkout","image":"registry.example.internal/payments/checkout:v2.14.3"}]}}}}
        """;

    private const string Template = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"@NAME@","namespace":"@NAMESPACE@",
         "labels":{"app":"checkout","pod-template-hash":"7d9c8f5b6d","tier":"backend","version":"v2.14.3","team":"payments"},
         "annotations":{"prometheus.io/scrape":"true","prometheus.io/port":"9090","kubectl.kubernetes.io/restartedAt":"2026-11-20T10:00:00Z"},
         "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"checkout-7d9c8f5b6d","uid":"@OWNER_UID@","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"containers":[{"name":"checkout","image":"registry.example.internal/payments/checkout:v2.14.3",
           "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],
           "env":[{"name":"DATABASE_HOST","value":"postgres.payments.svc.cluster.local"},{"name":"DATABASE_PORT","value":"5432"},
             {"name":"CACHE_URL","value":"redis://redis.payments.svc.cluster.local:6379/0"},{"name":"LOG_LEVEL","value":"info"},
             {"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}},
             {"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}},
             {"name":"API_TOKEN","valueFrom":{"secretKeyRef":{"name":"checkout-secrets","key":"api-token"}}}],
           "resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},
           "livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"initialDelaySeconds":10,"periodSeconds":10,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
           "readinessProbe":{"httpGet":{"path":"/ready","port":8080,"scheme":"HTTP"},"periodSeconds":5,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
           "volumeMounts":[{"name":"config","mountPath":"/etc/checkout","readOnly":true},{"name":"tmp","mountPath":"/tmp"},
             {"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}],
           "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",
           "securityContext":{"runAsNonRoot":true,"runAsUser":10001,"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}],
          "volumes":[{"name":"config","configMap":{"name":"checkout-config","defaultMode":420}},{"name":"tmp","emptyDir":{}},
            {"name":"kube-api-access","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
              {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
              {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}}],
          "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"checkout",
          "securityContext":{"fsGroup":10001},"schedulerName":"default-scheduler",
          "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},
            {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],
          "priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"}}
        """;
}
