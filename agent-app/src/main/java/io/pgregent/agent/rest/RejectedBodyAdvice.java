package io.pgregent.agent.rest;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A request body {@link JsonBodies} refused is answered with its status and message, before the
 * handler changed anything.
 */
@RestControllerAdvice(
    assignableTypes = {
      ActionsController.class,
      ConfigEditController.class,
      SwitchoverController.class
    })
class RejectedBodyAdvice {

  @ExceptionHandler(JsonBodies.Rejected.class)
  ResponseEntity<String> rejected(JsonBodies.Rejected e) {
    return Responses.text(e.status, e.getMessage());
  }
}
