package io.pgregent.agent.rest;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.core.annotation.AliasFor;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;

/** A health-check path: like Patroni's, it answers GET, HEAD and OPTIONS alike. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@RequestMapping(method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
public @interface HealthCheckMapping {

  /** The paths (Patroni's aliases of one check answer alike). */
  @AliasFor(annotation = RequestMapping.class, attribute = "path")
  String[] value() default {};
}
