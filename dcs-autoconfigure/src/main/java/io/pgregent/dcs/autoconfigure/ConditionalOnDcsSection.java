package io.pgregent.dcs.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Conditional;

/**
 * Matches when the configuration has the named store section (e.g. {@code etcd3:}) and no other
 * store section, and the store's client library is on the class path; two store sections fail
 * startup with a message naming both. Only configuration sources count: JVM system properties and
 * the process environment never pick a store (ZooKeeper's own libraries read {@code -Dzookeeper.*}
 * properties, for one).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Documented
@Conditional(OnDcsSectionCondition.class)
public @interface ConditionalOnDcsSection {

  /** The store's section in Patroni's YAML: {@code etcd3}, {@code zookeeper}, {@code consul}. */
  String value();

  /** A class of the store's client library, by name; the condition fails when it is missing. */
  String clientClass() default "";
}
